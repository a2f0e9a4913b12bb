"""Forms as Adaptive Cards, buttons and card updates, through the real SDK and the fake Bot Connector."""

from __future__ import annotations

import json

from fake_connector import CHANNEL, TENANT, FakeConnector
from teams_harness import TeamsHarness, card_of, form_submit_of, inputs_of, text_of

from adapters.teams.render import render_message, render_parts
from bot.adapter import Destination
from bot.context import Context
from bot.events import Conversation, FormSubmitted
from bot.i18n import translator
from bot.messages import Button, Buttons, Form, FormField, Link, Links, Message, Section, Text
from bot.messages import ContextLine as Small

nb = translator("nb")
FORM = Form(
    "test.plan", "Plan for samlingen",
    (FormField("topic", "Tema", hint="For eksempel lesing"), FormField("minutes", "Minutter", "number"),
     FormField("notes", "Notater", "long_text", required=False, max_length=500),
     FormField("place", "Sted", "choice", choices=(("skole", "På skolen"), ("digitalt", "Digitalt")))),
    state="42", notice="Ikke skriv navn på elever.",
)  # fmt: skip


def register_form(teams: TeamsHarness) -> list[FormSubmitted]:
    received: list[FormSubmitted] = []

    @teams.bot.router.command("planlegg", access="anyone")
    async def open_form(ctx: Context) -> None:
        await ctx.open_form(FORM)

    @teams.bot.router.form("test.plan", access="anyone")
    async def submitted(ctx: Context) -> None:
        assert isinstance(ctx.event, FormSubmitted)
        received.append(ctx.event)
        await ctx.reply("Takk!", visibility="channel")

    return received


async def test_a_form_is_a_card_of_inputs_in_the_1_1_chat_and_comes_back_once(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    received = register_form(teams)
    await teams.say_in_channel("kari", "planlegg")
    form = teams.dms_to("kari")[-1]
    assert inputs_of(form) == ["topic", "minutes", "notes", "place"]
    body = card_of(form)["body"]
    assert body[1]["text"] == "Ikke skriv navn på elever." and body[1]["color"] == "Attention"
    notes = next(e for e in body if e.get("id") == "notes")
    assert notes["isMultiline"] and notes["maxLength"] == 500 and not notes["isRequired"]
    place = next(e for e in body if e.get("id") == "place")
    assert [c["value"] for c in place["choices"]] == ["skole", "digitalt"]

    where = teams.in_personal_chat("kari")
    await teams.submit("ola", form, {"topic": "Lesing"}, where)  # not ola's form
    assert received == [] and nb.t("This form is no longer open. Run the command again to get a new one.") in (
        text_of(connector.messages[where["id"]][-1]))  # fmt: skip

    values = {"topic": " Lesing ", "minutes": 45, "notes": "", "place": "digitalt"}
    button = form_submit_of(form)
    await teams.submit("kari", form, values, where)
    assert len(received) == 1
    event = received[0]
    assert event.values == {"topic": "Lesing", "minutes": "45", "notes": "", "place": "digitalt"}
    assert event.state == "42" and event.conversation.id == CHANNEL  # answered where the form was asked for
    assert text_of(connector.messages[CHANNEL][-1]) == "Takk!"

    await teams.submit("kari", form, values, where, submit=button)  # a second press, on a card not yet updated
    assert len(received) == 1


async def test_an_unknown_button_is_answered_and_a_sent_card_can_be_updated(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    await teams.say_in_channel("kari", "hei", mention=False)
    stale = {"id": "1", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {
        "body": [], "actions": [{"type": "Action.Submit", "title": "Gammel", "data": {"samskap": "gone.away",
                                                                                       "value": "1"}}]}}]}  # fmt: skip
    await teams.click("kari", stale, "Gammel", teams.in_personal_chat("kari"))
    assert nb.t("This button no longer works. Try the command instead.") in text_of(
        teams.dms_to("kari")[-1])  # fmt: skip
    channel = Conversation("teams", TENANT, CHANNEL)
    sent = await teams.adapter.send(Destination.channel(channel), Message.text("Første utgave"))
    assert sent is not None
    await teams.adapter.update(sent, Message.of(Section("Andre utgave")))
    assert [aid for _, aid, _ in connector.updates] == [sent.message_id]
    assert text_of(connector.messages[CHANNEL][-1]) == "Andre utgave"


def test_messages_render_as_markdown_or_one_adaptive_card() -> None:
    plain = render_message(Message.text("Hei *alle*"))
    assert plain == {"type": "message", "text": "Hei **alle**", "textFormat": "markdown"}
    rich = render_message(Message.of(
        Section("Ide 12", (("Skole", "Nordby"),)), Text("En _god_ ide"), Small("delt i dag"),
        Links((Link("Artikkel [1]", "https://example.org/a", "kort"),)),
        Buttons((Button("Prøv", "ideas.adopt", "12", "primary"), Button("Nei", "ideas.no", style="danger"))),
        summary="Ny ide",
    ))  # fmt: skip
    card = card_of(rich)
    assert rich["summary"] == "Ny ide" and card["version"] == "1.5"
    kinds = [e["type"] for e in card["body"]]
    assert kinds == ["TextBlock", "FactSet", "TextBlock", "TextBlock", "TextBlock", "ActionSet"]
    assert card["body"][4]["text"] == "- [Artikkel (1)](https://example.org/a) — kort"
    actions = card["body"][5]["actions"]
    assert [(a["style"], a["data"]) for a in actions] == [
        ("positive", {"samskap": "ideas.adopt", "value": "12"}), ("destructive", {"samskap": "ideas.no", "value": ""}),
    ]  # fmt: skip


def test_a_very_long_message_goes_out_in_parts_that_each_fit_and_lose_nothing() -> None:
    long_text = "Æøå " * 20_000
    for message in (Message.text(long_text), Message.of(Section("Brev"), Text(long_text), Text(long_text))):
        parts = render_parts(message)
        assert len(parts) > 1
        assert all(len(json.dumps(p, ensure_ascii=False).encode()) < 28_000 for p in parts)
        shown = "".join(p.get("text", "") for p in parts) + "".join(
            e.get("text", "") for p in parts for a in p.get("attachments", []) for e in a["content"]["body"]
        )
        assert "…" not in shown and shown.count("Æøå") == long_text.count("Æøå") * len(message.parts[1:] or [1])


async def test_a_form_asked_for_in_a_group_chat_comes_in_the_1_1_chat(
    teams: TeamsHarness, connector: FakeConnector
) -> None:
    register_form(teams)
    group = {"id": "19:gruppe@thread.v2", "conversationType": "groupChat", "tenantId": TENANT}
    assert await teams.post(teams.activity("kari", group, text="/planlegg")) == 202
    assert inputs_of(teams.dms_to("kari")[-1]) == ["topic", "minutes", "notes", "place"]
    assert "19:gruppe@thread.v2" not in connector.messages
