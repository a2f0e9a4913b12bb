"""The pure renderer and the slash-command builder, on payloads."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.commands import application_commands, command_line, default_sub_name
from adapters.discord.render import (
    CONTENT_MAX,
    EMBED_TOTAL_MAX,
    Payload,
    button_custom_id,
    modal_values,
    parse_custom_id,
    render_message,
    render_modal,
)
from bot.context import Context as HandlerContext
from bot.i18n import N_, translator
from bot.messages import (
    Attachment,
    Button,
    Buttons,
    ContextLine,
    Divider,
    Form,
    FormField,
    Link,
    Links,
    Message,
    Section,
)
from bot.messages import Text as TextPart
from bot.router import Router

nb, en = translator("nb"), translator("en")


def all_limits_hold(payload: Payload) -> None:
    assert len(payload.content) <= CONTENT_MAX
    assert len(payload.embeds) <= 10
    assert sum(len(json.dumps(e)) for e in payload.embeds) < 3 * EMBED_TOTAL_MAX
    for embed in payload.embeds:
        size = len(embed.get("title", "")) + len(embed.get("description", ""))
        size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        assert size <= EMBED_TOTAL_MAX
        assert len(embed.get("title", "")) <= 256 and len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed.get("fields", []))
    assert len(payload.components) <= 5
    ids = []
    for row in payload.components:
        assert row["type"] == 1 and 1 <= len(row["components"]) <= 5
        for button in row["components"]:
            assert len(button["label"]) <= 80 and len(button["custom_id"]) <= 100
            ids.append(button["custom_id"])
    assert len(ids) == len(set(ids))


def test_text_and_context_become_content_with_discord_markdown() -> None:
    [payload] = render_message(Message.of(TextPart("Hei *Kari*, _velkommen_!"), ContextLine("Nordby skole · i dag")))
    assert payload.content == "Hei **Kari**, _velkommen_!\n-# Nordby skole · i dag"
    assert payload.embeds == [] and payload.components == []


def test_a_section_with_fields_becomes_an_embed_and_buttons_a_row() -> None:
    message = Message.of(
        Section("*Idé #12*", (("Skole", "Nordby"), ("Prøver", "3"))),
        Buttons(
            (Button("Jeg prøver dette", "ideas.adopt", "12", style="primary"), Button("Slett", "x", style="danger"))
        ),
    )
    [payload] = render_message(message)
    assert payload.content == ""
    assert payload.embeds == [{"description": "**Idé #12**",
                               "fields": [{"name": "Skole", "value": "Nordby", "inline": True},
                                          {"name": "Prøver", "value": "3", "inline": True}]}]  # fmt: skip
    row = payload.components[0]["components"]
    assert row[0] == {"type": 2, "style": 1, "label": "Jeg prøver dette", "custom_id": "a|ideas.adopt|12"}
    assert row[1]["style"] == 4


def test_links_are_embeds_with_their_url() -> None:
    [payload] = render_message(Message.of(Links((Link("Udir", "https://udir.no", "Om læringsmiljø"),))))
    assert payload.embeds == [{"title": "Udir", "url": "https://udir.no", "description": "Om læringsmiljø"}]


def test_long_content_is_split_at_line_breaks_into_several_messages() -> None:
    lines = [f"linje {i} " + "x" * 90 for i in range(60)]
    payloads = render_message(Message.of(TextPart("\n".join(lines))))
    assert len(payloads) >= 3
    assert "\n".join(p.content for p in payloads) == "\n".join(lines)
    for payload in payloads:
        all_limits_hold(payload)


def test_a_single_huge_line_is_split_too() -> None:
    payloads = render_message(Message.text("a" * 5000))
    assert [len(p.content) for p in payloads] == [2000, 2000, 1000]


def test_many_buttons_spill_into_another_message_and_long_labels_are_cut() -> None:
    buttons = tuple(Button(f"Valg {i} " + "lang " * 30, "choose", str(i)) for i in range(30))
    payloads = render_message(Message.of(TextPart("Velg"), Buttons(buttons)))
    assert len(payloads) == 2
    assert sum(len(r["components"]) for p in payloads for r in p.components) == 30
    for payload in payloads:
        all_limits_hold(payload)
    assert payloads[0].components[0]["components"][0]["label"].endswith("…")


def test_many_fields_and_links_stay_within_embed_limits() -> None:
    fields = tuple((f"Felt {i}" * 40, "verdi " * 300) for i in range(60))
    links = tuple(Link("Tittel " * 60, f"https://example.org/{i}", "beskrivelse " * 500) for i in range(15))
    payloads = render_message(Message.of(Section("Oversikt", fields), Links(links)))
    assert len(payloads) > 2
    for payload in payloads:
        all_limits_hold(payload)


def test_a_custom_id_too_long_becomes_a_stored_key() -> None:
    custom_id, stored = button_custom_id("ideas.adopt", "v" * 200)
    assert len(custom_id) <= 100 and custom_id.startswith("k|") and stored == ("ideas.adopt", "v" * 200)
    payloads = render_message(Message.of(Buttons((Button("Prøv", "ideas.adopt", "v" * 200),))))
    assert payloads[0].stash == {custom_id: ("ideas.adopt", "v" * 200)}
    assert parse_custom_id("a|ideas.adopt|12|b") == ("ideas.adopt", "12|b")
    assert parse_custom_id(custom_id) is None


def test_duplicate_buttons_are_sent_once() -> None:
    [payload] = render_message(Message.of(Buttons((Button("A", "x", "1"), Button("A igjen", "x", "1")))))
    assert len(payload.components[0]["components"]) == 1


def test_attachments_become_files_and_ephemeral_sets_the_flag() -> None:
    [payload] = render_message(Message.of(TextPart("Dataene dine"), Attachment("data.json", "{}", "application/json")))
    body = payload.body(ephemeral=True)
    assert body["flags"] == 64 and body["attachments"] == [{"id": 0, "filename": "data.json"}]
    assert payload.files[0].filename == "data.json"


def test_an_empty_message_still_renders_something() -> None:
    assert render_message(Message.of(Divider()))[0].content == "───"
    assert render_message(Message((), "Sammendrag"))[0].content == "Sammendrag"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(TextPart, st.text(max_size=3000)),
            st.builds(ContextLine, st.text(max_size=500)),
            st.builds(Section, st.text(max_size=300),
                      st.lists(st.tuples(st.text(max_size=300), st.text(max_size=1500)), max_size=30).map(tuple)),
            st.builds(Buttons, st.lists(st.builds(Button, st.text(max_size=120), st.text(min_size=1, max_size=40),
                                                  st.text(max_size=120)), max_size=30).map(tuple)),
            st.builds(Links, st.lists(st.builds(Link, st.text(max_size=300), st.just("https://x.no"),
                                                st.text(max_size=5000)), max_size=12).map(tuple)),
        ),
        max_size=6,
    )
)  # fmt: skip
def test_any_message_renders_within_every_limit(parts: list) -> None:  # type: ignore[type-arg]
    for payload in render_message(Message(tuple(parts))):
        all_limits_hold(payload)


# -- forms --------------------------------------------------------------------------------------------


def test_a_form_step_is_a_modal_of_labelled_inputs_within_limits() -> None:
    form = Form("ideas.report", "Hvordan gikk det med idéen du prøvde i klassen din?", (
        FormField("what", "Hva gjorde du? Beskriv kort hva du prøvde i praksis", kind="long_text", max_length=6000,
                  hint="Ikke skriv navn på elever"),
        FormField("mood", "Hvordan gikk det?", kind="choice", choices=(("good", "Bra"), ("bad", "Dårlig")),
                  initial="good"),
    ))  # fmt: skip
    modal = render_modal(form, "m|key|0", 0, 1)
    assert len(modal["title"]) <= 45 and modal["custom_id"] == "m|key|0"
    text_label, choice_label = modal["components"]
    assert len(text_label["label"]) <= 45 and text_label["label"].endswith("…")
    assert "Beskriv kort hva du prøvde i praksis" in text_label["description"]
    assert text_label["component"] == {"type": 4, "custom_id": "what", "style": 2, "required": True,
                                       "max_length": 4000}  # fmt: skip
    assert choice_label["component"]["options"][0] == {"label": "Bra", "value": "good", "default": True}


def test_submitted_values_are_read_from_labels_rows_and_selects() -> None:
    components = [
        {"type": 18, "component": {"type": 4, "custom_id": "what", "value": "Vennskapsbenk"}},
        {"type": 1, "components": [{"type": 4, "custom_id": "changed", "value": "Mindre grupper"}]},
        {"type": 18, "component": {"type": 3, "custom_id": "mood", "values": ["good"]}},
        {"type": 10, "content": "Ikke skriv navn"},
    ]
    assert modal_values(components) == {"what": "Vennskapsbenk", "changed": "Mindre grupper", "mood": "good"}


# -- slash commands ------------------------------------------------------------------------------------


def sample_router() -> Router:
    router = Router()

    async def handler(ctx: HandlerContext) -> None:
        return None

    router.command(("samskap", "samskap-help"), access="anyone", help=N_("Help and an overview of what I can do"))(
        handler
    )
    router.command("samskap", sub=("bli-med", "join"), access="anyone", usage=N_("<school>"),
                   help=N_("Join the network with your school"))(handler)  # fmt: skip
    router.command(("ide", "idea"), usage="[tekst #tagg]")(handler)
    router.command("ide", sub=("prøv", "prov", "try"), usage="<nr>")(handler)
    router.command("ide", sub=("start", "begin"))(handler)
    router.command(("ideer", "ideas"), usage="[søk]")(handler)
    return router


def test_commands_are_generated_from_the_router_with_norwegian_and_english_names() -> None:
    commands = {c["name"]: c for c in application_commands(sample_router(), nb, en)}
    assert set(commands) == {"samskap", "ide", "ideer"}
    samskap = commands["samskap"]
    assert "en-US" not in samskap["name_localizations"]  # samskap-help is no translation
    subs = {o["name"]: o for o in samskap["options"]}
    assert list(subs) == ["start", "bli-med"]
    join = subs["bli-med"]
    assert join["name_localizations"]["en-US"] == "join" and join["name_localizations"]["no"] == "bli-med"
    assert join["description_localizations"]["en-US"] == "Join the network with your school"
    assert join["description"] == nb.t("Join the network with your school")
    assert join["options"][0]["name"] == "tekst" and join["options"][0]["required"] is True
    assert join["options"][0]["name_localizations"]["en-GB"] == "text"
    assert join["options"][0]["description"] == "Skriv: <skole>"
    assert join["options"][0]["description_localizations"]["en-US"] == "Arguments: <school>"

    ide = {o["name"]: o for o in commands["ide"]["options"]}
    assert list(ide) == ["kjør", "prøv", "start"]  # the group has a `start` of its own
    assert ide["prøv"]["name_localizations"]["en-US"] == "try"  # not the spelling without ø
    assert commands["ideer"]["options"][0]["required"] is False
    assert commands["ide"]["name_localizations"]["en-US"] == "idea"
    for command in commands.values():
        assert len(command["description"]) <= 100 and command["description"]


def test_an_interaction_becomes_the_line_the_core_parses() -> None:
    router = sample_router()
    join_options = [{"type": 3, "name": "tekst", "value": "Nordby skole"}]
    join = {"name": "samskap", "options": [{"type": 1, "name": "bli-med", "options": join_options}]}
    assert command_line(join, router) == ("samskap", "bli-med Nordby skole")
    text = [{"type": 3, "name": "tekst", "value": "Vennskapsbenk"}]
    default = {
        "name": "ide",
        "options": [{"type": 1, "name": default_sub_name(router.commands["ide"]), "options": text}],
    }
    assert command_line(default, router) == ("ide", "Vennskapsbenk")
    assert command_line({"name": "ide", "options": [{"type": 1, "name": "start"}]}, router) == ("ide", "start")
    assert command_line({"name": "ideer", "options": []}, router) == ("ideer", "")
    match = router.match_command(*command_line(join, router))
    assert match is not None and match.subcommand == "bli-med" and match.args == "Nordby skole"
