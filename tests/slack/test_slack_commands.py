"""Slash commands, buttons, modals and messages through the real slack-bolt app and a fake Slack."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fake_slack import block_actions, event_body
from slack_harness import SlackHarness

from bot.context import Context
from bot.events import FormSubmitted, MessageEvent, ReactionEvent, User
from bot.messages import Button, Buttons, Form, FormField, Message, Text
from storage.repositories.core import Members
from tests.support import eventually


def button_ids(payload: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in payload.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def all_text(payload: dict[str, Any]) -> str:
    texts = [payload.get("text", "")]
    for block in payload.get("blocks", []):
        texts.append((block.get("text") or {}).get("text", ""))
        texts.extend(e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str))
    return "\n".join(texts)


async def test_command_is_acknowledged_at_once_and_answered_through_response_url(slack: SlackHarness) -> None:
    response = await slack.command("/samskap")
    assert response.status == 200
    hooks = await slack.fake.wait_for_hooks()
    assert hooks[0]["response_type"] == "ephemeral"
    assert "samskap" in hooks[0]["text"]
    assert hooks[0]["blocks"][0]["type"] == "section"


def answers_so_far(slack: SlackHarness) -> int:
    """Posts to response_urls and calls to the Web API that answer someone (not the look-ups on the way)."""
    return len(slack.fake.hooks) + len([c for c in slack.fake.requests if c.method not in ("users.info", "auth.test")])


async def test_every_command_of_the_router_is_answered(slack: SlackHarness) -> None:
    unknown = slack.bot.translator_for().t("I don't know the command /{name}. Try /samskap for help.", name="x")
    unknown_start = unknown.split("/x")[0]
    names = sorted(set(slack.bot.router.command_names()) | {"samskap", "ide", "ideer"})
    for name in names:
        before, before_hooks = answers_so_far(slack), len(slack.fake.hooks)
        response = await slack.command(f"/{name}", response_url=slack.fake.hook_url(name))
        assert response.status == 200, name
        await eventually(lambda before=before: answers_so_far(slack) > before, what=f"an answer to /{name}")
        answers = [body for hook, body in slack.fake.hooks[before_hooks:] if hook == name]
        if slack.bot.router.is_command(name):
            assert not any(a["text"].startswith(unknown_start) for a in answers), name


async def test_ack_does_not_wait_for_slow_work(slack: SlackHarness) -> None:
    release = asyncio.Event()

    @slack.bot.router.command("treg", access="anyone")
    async def slow(ctx: Context) -> None:
        await release.wait()
        await ctx.reply("ferdig")

    started = time.monotonic()
    response = await slack.command("/treg")
    assert response.status == 200
    assert time.monotonic() - started < 3
    assert slack.fake.hooks == []
    release.set()
    hooks = await slack.fake.wait_for_hooks()
    assert hooks[0]["text"] == "ferdig"


async def test_joining_uses_the_slack_display_name_and_workspace(slack: SlackHarness) -> None:
    await slack.command("/samskap", "bli-med Nordby skole", user="UKARI")
    await slack.fake.wait_for_hooks()
    async with slack.bot.db.session() as s:
        members = await Members(s).networks_of(User("slack", "T1", "UKARI"))
    assert [(m.display_name, m.school, m.workspace_id) for m in members] == [("Kari", "Nordby skole", "T1")]
    assert slack.fake.requests_to("users.info")[0].params["user"] == "UKARI"


async def test_a_leader_puts_a_network_meeting_in_the_calendar_from_slack(slack: SlackHarness) -> None:
    await slack.command("/samskap", "bli-med Nordby skole", user="UKARI")
    await slack.fake.wait_for_hooks(1)
    await slack.command("/samling", "ny 14.01.2027 12:00 Rådhuset: trivsel", user="UKARI")
    posted = (await slack.fake.wait_for("chat.postMessage"))[0].params
    assert posted["channel"] == "C1" and "Samling 1 er satt opp: tor. 14. jan." in posted["text"]
    assert "kl. 12:00 — Rådhuset" in posted["text"]


async def test_button_click_reaches_its_handler(slack: SlackHarness) -> None:
    await slack.command("/samskap", "bli-med Sørby skole", user="UOLA")
    await slack.fake.wait_for_hooks(1)
    await slack.command("/samskap", "slett-meg", user="UOLA")
    hooks = await slack.fake.wait_for_hooks(2)
    assert "membership.keep" in button_ids(hooks[1])

    await slack.interact(block_actions("membership.keep", user="UOLA", response_url=slack.fake.hook_url("click")))
    hooks = await slack.fake.wait_for_hooks(3)
    assert hooks[2]["text"] == slack.bot.translator_for().t("Good, nothing was deleted.")
    async with slack.bot.db.session() as s:
        assert await Members(s).networks_of(User("slack", "T1", "UOLA"))


async def test_repeated_action_ids_in_one_message_reach_the_same_handler(slack: SlackHarness) -> None:
    clicked: list[tuple[str, str]] = []

    @slack.bot.router.action("test.pick", access="anyone")
    async def pick(ctx: Context) -> None:
        clicked.append((ctx.event.action_id, ctx.event.value))  # type: ignore[attr-defined]

    await slack.interact(block_actions("test.pick~1", "idea-7", response_url=slack.fake.hook_url()))
    await eventually(lambda: clicked, what="the click handled")
    assert clicked == [("test.pick", "idea-7")]


async def test_form_opens_as_modal_and_its_submission_reaches_the_form_handler(slack: SlackHarness) -> None:
    submitted: list[FormSubmitted] = []

    @slack.bot.router.command("skjema", access="anyone")
    async def open_form(ctx: Context) -> None:
        await ctx.open_form(
            Form("test.report", "Hvordan gikk det med vennskapsbenken?", (
                FormField("how", "Hva skjedde?", "long_text"),
                FormField("grade", "Vil du anbefale den?", "choice", choices=(("yes", "Ja"), ("no", "Nei"))),
            ), state="idea:42")
        )  # fmt: skip

    @slack.bot.router.form("test.report", access="anyone")
    async def report(ctx: Context) -> None:
        submitted.append(ctx.event)  # type: ignore[arg-type]
        await ctx.reply("Takk!")

    await slack.command("/skjema", channel="C7")
    opened = (await slack.fake.wait_for("views.open"))[0]
    assert opened.params["trigger_id"].startswith("trig-/skjema-")
    view = opened.params["view"]
    assert view["callback_id"] == "test.report"
    assert len(view["title"]["text"]) <= 24

    submission = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "nordby"},
        "user": {"id": "UKARI", "username": "ukari", "name": "ukari", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trig-submit",
        "view": {
            "id": "V1", "type": "modal", "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {
                "how": {"value": {"type": "plain_text_input", "value": "Elevene <3 benken & leken"}},
                "grade": {"value": {"type": "static_select", "selected_option": {"value": "yes"}}},
            }},
        },
    }  # fmt: skip
    response = await slack.interact(submission)
    assert response.status == 200
    await slack.fake.wait_for("chat.postEphemeral")
    event = submitted[0]
    assert event.values == {"how": "Elevene <3 benken & leken", "grade": "yes"}
    assert event.state == "idea:42"
    assert event.conversation.id == "C7"
    ephemeral = slack.fake.requests_to("chat.postEphemeral")[0].params
    assert (ephemeral["channel"], ephemeral["user"], ephemeral["text"]) == ("C7", "UKARI", "Takk!")


async def test_link_in_a_channel_message_reaches_message_listeners(slack: SlackHarness) -> None:
    seen: list[MessageEvent] = []

    @slack.bot.router.on_message()
    async def capture(ctx: Context) -> None:
        seen.append(ctx.event)  # type: ignore[arg-type]

    text = "Se denne om relasjonsbygging: <https://www.udir.no/laring|udir.no> &amp; mer"
    event = {"type": "message", "channel": "C1", "channel_type": "channel", "user": "UPER", "text": text,
             "ts": "1700000100.000100", "team": "T1"}  # fmt: skip
    assert (await slack.event(event_body(event))).status == 200
    await eventually(lambda: seen, what="the message dispatched")
    assert seen[0].text == "Se denne om relasjonsbygging: https://www.udir.no/laring & mer"
    assert (seen[0].user.id, seen[0].user.display_name, seen[0].conversation.id) == ("UPER", "Per", "C1")
    assert seen[0].message_id == "1700000100.000100"


async def test_message_mentioning_the_bot_is_handled_once(slack: SlackHarness) -> None:
    seen: list[MessageEvent] = []

    @slack.bot.router.on_message()
    async def capture(ctx: Context) -> None:
        seen.append(ctx.event)  # type: ignore[arg-type]

    common = {"channel": "C1", "user": "UOLA", "text": "<@UBOT> hei", "ts": "1700000200.000200", "team": "T1"}
    await slack.event(event_body({"type": "app_mention", **common}))
    await slack.event(event_body({"type": "message", "channel_type": "channel", **common}))
    await slack.event(event_body({"type": "message", "subtype": "message_changed", **common}))
    await eventually(lambda: seen, what="the mention handled")  # after the ack, however slow the machine
    await asyncio.sleep(0.2)  # and give a duplicate the time to show up
    assert len(seen) == 1
    assert seen[0].mentions_bot


async def test_bot_messages_are_not_dispatched(slack: SlackHarness) -> None:
    seen: list[MessageEvent] = []

    @slack.bot.router.on_message()
    async def capture(ctx: Context) -> None:
        seen.append(ctx.event)  # type: ignore[arg-type]

    await slack.event(event_body({"type": "message", "channel": "C1", "user": "UX", "bot_id": "B9", "text": "hei",
                                  "ts": "1700000300.000300"}))  # fmt: skip
    await asyncio.sleep(0.2)
    assert seen == []


async def test_someone_joining_a_channel_is_welcomed_with_a_join_button(slack: SlackHarness) -> None:
    event = {"type": "member_joined_channel", "user": "UPER", "channel": "C1", "channel_type": "C", "team": "T1"}
    await slack.event(event_body(event))
    welcome = (await slack.fake.wait_for("chat.postEphemeral"))[0].params
    assert (welcome["channel"], welcome["user"]) == ("C1", "UPER")
    assert "membership.join" in button_ids(welcome)
    assert "Per" in all_text(welcome)


async def test_app_home_shows_the_members_overview(slack: SlackHarness) -> None:
    await slack.command("/samskap", "bli-med Nordby skole", user="UKARI")
    await slack.fake.wait_for_hooks()
    await slack.event(event_body({"type": "app_home_opened", "user": "UKARI", "channel": "DUKARI", "tab": "home"}))
    published = (await slack.fake.wait_for("views.publish"))[0].params
    assert published["user_id"] == "UKARI"
    assert published["view"]["type"] == "home"
    async with slack.bot.db.session() as s:
        member = (await Members(s).networks_of(User("slack", "T1", "UKARI")))[0]
    expected = await slack.bot.home(member)
    assert expected.parts[0].text.split("!")[0] in all_text(published["view"])  # type: ignore[union-attr]


async def test_app_home_for_someone_who_has_not_joined_explains_how(slack: SlackHarness) -> None:
    await slack.event(event_body({"type": "app_home_opened", "user": "UPER", "channel": "DUPER", "tab": "home"}))
    published = (await slack.fake.wait_for("views.publish"))[0].params
    assert "/samskap bli-med" in all_text(published["view"])


async def test_a_button_in_app_home_answers_in_the_direct_messages_and_refreshes_home(slack: SlackHarness) -> None:
    @slack.bot.router.action("test.home", access="anyone", takes_value=False)
    async def from_home(ctx: Context) -> None:
        await ctx.reply("Notert.")

    await slack.interact(block_actions("test.home", user="UOLA", home=True))
    await slack.fake.wait_for("views.publish")
    opened = slack.fake.requests_to("conversations.open")[0].params
    assert opened["users"] == "UOLA"
    posted = slack.fake.requests_to("chat.postMessage")[0].params
    assert (posted["channel"], posted["text"]) == ("DUOLA", "Notert.")


async def test_a_post_in_a_channel_the_bot_cannot_join_is_shown_to_the_asker(slack: SlackHarness) -> None:
    @slack.bot.router.command("kunngjor", access="anyone")
    async def announce(ctx: Context) -> None:
        await ctx.reply(Message.of(Text("Samling torsdag kl. 12"), Buttons((Button("Kommer", "x.y"),))),
                        visibility="channel")  # fmt: skip

    slack.fake.fail("chat.postMessage", error="not_in_channel")
    slack.fake.fail("conversations.join", error="method_not_supported_for_channel_type")
    await slack.command("/kunngjor", channel="G5", response_url=slack.fake.hook_url("asker"))
    hooks = await slack.fake.wait_for_hooks()
    assert "/invite" in hooks[0]["text"] or "/invite" in all_text(hooks[0])
    assert "Samling torsdag kl. 12" in all_text(hooks[0])
    assert hooks[0]["response_type"] == "ephemeral"


async def test_the_bot_joins_a_public_channel_it_was_not_invited_to_and_posts(slack: SlackHarness) -> None:
    @slack.bot.router.command("kunngjor", access="anyone")
    async def announce(ctx: Context) -> None:
        await ctx.reply("Samling torsdag kl. 12", visibility="channel")

    slack.fake.fail("chat.postMessage", error="not_in_channel")
    await slack.command("/kunngjor", channel="C9")
    posts = await slack.fake.wait_for("chat.postMessage", 2)
    assert slack.fake.requests_to("conversations.join")[0].params["channel"] == "C9"
    assert posts[1].params["text"] == "Samling torsdag kl. 12"
    assert slack.fake.hooks == []


async def test_a_form_answer_that_cannot_be_shown_in_the_channel_goes_to_direct_messages(slack: SlackHarness) -> None:
    @slack.bot.router.command("skjema", access="anyone")
    async def open_form(ctx: Context) -> None:
        await ctx.open_form(Form("test.note", "Notat", (FormField("note", "Hva lærte du?", "long_text"),)))

    @slack.bot.router.form("test.note", access="anyone")
    async def note(ctx: Context) -> None:
        await ctx.reply("Notatet er lagret.")

    await slack.command("/skjema", channel="G5")
    view = (await slack.fake.wait_for("views.open"))[0].params["view"]
    slack.fake.fail("chat.postEphemeral", error="channel_not_found")
    await slack.interact({
        "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "UKARI", "name": "ukari", "team_id": "T1"},
        "view": {"id": "V1", "type": "modal", "callback_id": "test.note", "private_metadata": view["private_metadata"],
                 "state": {"values": {"note": {"value": {"type": "plain_text_input", "value": "Mye"}}}}},
    })  # fmt: skip
    dm = (await slack.fake.wait_for("chat.postMessage"))[0].params
    assert dm["channel"] == "DUKARI"
    assert "Notatet er lagret." in all_text(dm)


async def test_a_reaction_on_a_message_reaches_reaction_listeners(slack: SlackHarness) -> None:
    seen: list[ReactionEvent] = []

    @slack.bot.router.on_reaction()
    async def react(ctx: Context) -> None:
        seen.append(ctx.event)  # type: ignore[arg-type]

    item = {"type": "message", "channel": "C1", "ts": "1700000000.000009"}
    await slack.event(event_body({"type": "reaction_added", "user": "UOLA", "reaction": "bulb", "item": item}))
    await slack.event(event_body({"type": "reaction_removed", "user": "UOLA", "reaction": "bulb", "item": item}))
    await eventually(lambda: len(seen) == 2, what="both reactions dispatched")
    assert sorted((e.emoji, e.message_id, e.added) for e in seen) == [
        ("bulb", "1700000000.000009", False),
        ("bulb", "1700000000.000009", True),
    ]
