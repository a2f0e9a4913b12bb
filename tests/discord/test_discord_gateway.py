"""The real discord.py client against the fake Discord: commands, buttons, forms, threads, failures."""

from __future__ import annotations

import asyncio
from typing import Any

from discord_harness import Harness, buttons_of, text_of, user_id
from fake_discord import CHANNEL_ID, GUILD_ID, OTHER_CHANNEL_ID, FakeDiscord, thread_payload

from bot.adapter import Destination
from bot.context import Context
from bot.events import Conversation, User
from bot.i18n import translator
from bot.messages import Form, FormField, Message
from tests.support import eventually, free_port, running

nb = translator("nb")
CHANNEL = Conversation("discord", GUILD_ID, CHANNEL_ID)


def texts(answers: list[dict[str, Any]]) -> str:
    return "\n".join(text_of(a) for a in answers)


async def set_up_network(discord_bot: Harness) -> None:
    await discord_bot.slash("rektor", "samskap", "oppsett", admin=True)
    await discord_bot.slash("kari", "samskap", "bli-med", "Nordby skole")


def member_user(name: str) -> User:
    return User("discord", "users", user_id(name), name)


# -- commands -------------------------------------------------------------------------------------


async def test_samskap_shows_help_as_an_ephemeral_interaction_response(discord_bot: Harness, fake: FakeDiscord) -> None:
    answers = await discord_bot.slash("kari", "samskap", "start")
    assert answers[0]["type"] == 4  # the first part answers the interaction, the rest follow up
    assert all((a.get("data", a)).get("flags") == 64 for a in answers)
    assert "/samskap bli-med" in texts(answers)
    # On Discord a command with subcommands runs through one of them: help says how to type it.
    assert "/ide start [tekst #tagg] — " in texts(answers) and "/ide [tekst" not in texts(answers)
    assert fake.requests_to("GET", "^/users/@me$") and fake.requests_to("GET", "^/oauth2/applications/@me$")


async def test_commands_in_a_server_without_network_say_it_is_not_linked(discord_bot: Harness) -> None:
    answers = await discord_bot.slash("kari", "samskap", "bli-med", "Nordby skole")
    assert nb.t("This channel is not linked to a network yet. A server admin can run /samskap oppsett.") in texts(
        answers
    )


async def test_setup_needs_manage_server(discord_bot: Harness) -> None:
    await set_up_network(discord_bot)
    answers = await discord_bot.slash("kari", "samskap", "oppsett", channel_id=OTHER_CHANNEL_ID)
    assert nb.t("Only someone who can manage this workspace or server can do that.") in texts(answers)


async def test_admin_sets_up_the_server_as_a_network_and_members_join(discord_bot: Harness, fake: FakeDiscord) -> None:
    answers = await discord_bot.slash("rektor", "samskap", "oppsett", "Vestfold-nettverket", admin=True)
    assert answers[0]["type"] == 4
    assert not answers[0]["data"].get("flags")  # announced in the channel for everyone
    assert "Vestfold-nettverket" in texts(answers)
    assert fake.messages[CHANNEL_ID][-1]["content"] == answers[0]["data"]["content"]

    joined = await discord_bot.slash("kari", "samskap", "bli-med", "Nordby skole")
    assert "Nordby skole" in texts(joined)
    assert joined[0]["data"]["flags"] == 64


async def test_setup_in_a_direct_message_asks_for_a_server_channel(discord_bot: Harness) -> None:
    answers = await discord_bot.slash("rektor", "samskap", "oppsett", dm=True)
    assert nb.t("Run this command in a channel of your workspace or server: it sets up that network.") in texts(answers)


async def test_direct_message_commands_find_the_members_network(discord_bot: Harness) -> None:
    await set_up_network(discord_bot)
    answers = await discord_bot.slash("kari", "samskap", "innstillinger", dm=True)
    assert "Nordby skole" in texts(answers)
    assert not answers[0]["data"].get("flags")  # a DM is private already


async def test_every_registered_command_answers_in_time(discord_bot: Harness, fake: FakeDiscord) -> None:
    """Each slash command the router offers gets an interaction response, none is left unanswered."""
    await set_up_network(discord_bot)
    from adapters.discord.commands import application_commands

    commands = application_commands(discord_bot.bot.router, nb, translator("en"))
    for command in commands:
        subs = [o for o in command.get("options", []) if o["type"] == 1] or [None]
        for sub in subs:
            answers = await discord_bot.slash("kari", command["name"], sub["name"] if sub else None)
            assert answers and answers[0]["type"] in (4, 5, 9), (command["name"], sub)
            assert "reference" not in texts(answers).lower() and "referansen" not in texts(answers)


# -- buttons, forms and threads ------------------------------------------------------------------------


async def test_a_button_keeps_working_after_a_restart(discord_bot: Harness) -> None:
    await set_up_network(discord_bot)
    answers = await discord_bot.slash("kari", "samskap", "slett-meg")
    buttons = buttons_of(answers[0])
    keep = buttons[nb.t("No, keep it")]
    message = answers[0]["message"]

    await discord_bot.restart()
    clicked = await discord_bot.click("kari", keep, message=message)
    assert nb.t("Good, nothing was deleted.") in texts(clicked)


async def test_a_button_whose_value_is_too_long_is_stored_and_still_works(discord_bot: Harness) -> None:
    seen: list[str] = []

    @discord_bot.bot.router.action("test.long", access="anyone")
    async def long_value(ctx: Context) -> None:
        seen.append(ctx.event.value)  # type: ignore[attr-defined]
        await ctx.reply("ok")

    from bot.messages import Button, Buttons

    sent = await discord_bot.adapter.send(
        Destination.channel(CHANNEL), Message.of(Buttons((Button("Lang", "test.long", "x" * 150),)))
    )
    assert sent is not None
    custom_id = discord_bot.fake.messages[CHANNEL_ID][-1]["components"][0]["components"][0]["custom_id"]
    assert len(custom_id) <= 100
    await discord_bot.restart()
    discord_bot.bot.router.action("test.long", access="anyone")(long_value)
    await discord_bot.click("ola", custom_id)
    assert seen == ["x" * 150]


async def test_an_unknown_button_says_it_no_longer_works(discord_bot: Harness) -> None:
    answers = await discord_bot.click("kari", "k|doesnotexist")
    assert nb.t("This button no longer works. Try the command instead.") in texts(answers)


def register_long_form(discord_bot: Harness, received: list[Any]) -> None:
    router = discord_bot.bot.router

    @router.command("testskjema", access="anyone")
    async def open_form(ctx: Context) -> None:
        fields = tuple(FormField(f"f{i}", f"Spørsmål {i} " + "med en lang forklaring " * 3) for i in range(1, 7))
        choice = FormField("fase", "Fase", kind="choice", choices=(("a", "Presentasjon"), ("b", "Spørsmål")))
        await ctx.open_form(Form("test.form", "Refleksjon", (*fields, choice), state="idea:12",
                                 notice="Ikke skriv navn på elever."))  # fmt: skip

    @router.form("test.form", access="anyone")
    async def submitted(ctx: Context) -> None:
        received.append((ctx.event.values, ctx.event.state))  # type: ignore[attr-defined]
        await ctx.reply("Takk!")


async def test_a_long_form_opens_as_modals_in_steps_and_arrives_whole(discord_bot: Harness, fake: FakeDiscord) -> None:
    received: list[Any] = []
    register_long_form(discord_bot, received)
    answers = await discord_bot.slash("kari", "testskjema")
    modal = answers[0]
    assert modal["type"] == 9
    first = modal["data"]
    assert len(first["components"]) == 5 and first["components"][0]["type"] == 10  # the notice, then 4 fields
    assert all(len(c["label"]) <= 45 for c in first["components"][1:])
    assert first["title"] == "Refleksjon (1/2)"

    step_one = {f"f{i}": f"svar {i}" for i in range(1, 5)}
    answers = await discord_bot.submit("kari", first["custom_id"], step_one)
    next_button = next(iter(buttons_of(answers[0]).values()))
    assert answers[0]["data"]["flags"] == 64

    await discord_bot.restart()  # a half-filled form survives a restart
    register_long_form(discord_bot, received)
    opened = await discord_bot.click("kari", next_button)
    second = opened[0]["data"]
    assert opened[0]["type"] == 9 and second["title"] == "Refleksjon (2/2)"
    select = second["components"][-1]["component"]
    assert select["type"] == 3 and [o["value"] for o in select["options"]] == ["a", "b"]

    done = await discord_bot.submit("kari", second["custom_id"], {"f5": "svar 5", "f6": "svar 6"}, {"fase": "b"})
    assert received == [({**step_one, "f5": "svar 5", "f6": "svar 6", "fase": "b"}, "idea:12")]
    assert "Takk!" in texts(done)


async def test_a_form_for_someone_else_does_not_open(discord_bot: Harness) -> None:
    received: list[Any] = []
    register_long_form(discord_bot, received)
    answers = await discord_bot.slash("kari", "testskjema")
    answers = await discord_bot.submit("kari", answers[0]["data"]["custom_id"], {"f1": "x"})
    next_button = next(iter(buttons_of(answers[0]).values()))
    stolen = await discord_bot.click("ola", next_button)
    assert stolen[0]["type"] == 4
    assert nb.t("This form is no longer open. Run the command again to get a new one.") in texts(stolen)


async def test_forged_custom_ids_are_refused_and_change_nothing(discord_bot: Harness) -> None:
    from sqlalchemy import func, select

    from storage.models.core import Member

    await set_up_network(discord_bot)
    for custom_id in ("a|membership.erase|7", "a|samsnakk.pick|1|2", "a|samsnakk.take|abc", "a|", "a|||",
                      "k|no-such-key", "zzz", "a|ideas.adopt|" + "9" * 90):  # fmt: skip
        answer = texts(await discord_bot.click("kari", custom_id))
        assert answer and "noe gikk galt" not in answer.lower(), custom_id
    async with discord_bot.bot.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Member)) == 1, "kari is still a member"


async def test_a_form_button_or_modal_with_a_forged_step_is_refused(discord_bot: Harness) -> None:
    received: list[Any] = []
    register_long_form(discord_bot, received)
    answers = await discord_bot.slash("kari", "testskjema")
    answers = await discord_bot.submit("kari", answers[0]["data"]["custom_id"], {"f1": "x"})
    key = next(iter(buttons_of(answers[0]).values())).split("|")[1]
    gone = nb.t("This form is no longer open. Run the command again to get a new one.")
    for step in ("abc", "9", "-1", "²", "9" * 5000):
        clicked = await discord_bot.click("kari", f"f|{key}|{step}")
        assert gone in texts(clicked), step
        submitted = await discord_bot.submit("kari", f"m|{key}|{step}", {"f5": "x"})
        assert gone in texts(submitted), step
    assert received == []


async def test_a_thread_is_started_under_a_channel_message(discord_bot: Harness, fake: FakeDiscord) -> None:
    @discord_bot.bot.router.command("testtraad", access="anyone")
    async def thread(ctx: Context) -> None:
        sent = await ctx.reply("Kritisk venn-runde for Kari", visibility="channel")
        assert sent is not None
        conversation = await ctx.adapter.start_thread(sent, "Kritisk venn: Kari")
        await ctx.adapter.send(Destination.channel(conversation), Message.text("Fase 1: presentasjon"))

    await discord_bot.slash("kari", "testtraad")
    opening = fake.messages[CHANNEL_ID][-1]
    assert opening["content"] == "Kritisk venn-runde for Kari"
    created = fake.requests_to("POST", rf"^/channels/{CHANNEL_ID}/messages/{opening['id']}/threads$")
    assert created and created[0].body["name"] == "Kritisk venn: Kari"
    thread_id = next(iter(fake.threads))
    assert fake.messages[thread_id][0]["content"] == "Fase 1: presentasjon"


async def test_a_reply_in_a_thread_belongs_to_the_channels_network(discord_bot: Harness, fake: FakeDiscord) -> None:
    await set_up_network(discord_bot)
    fake.threads["400000000000000001"] = thread_payload("400000000000000001", CHANNEL_ID, "Kritisk venn")
    answers = await discord_bot.slash("kari", "samskap", "innstillinger", channel_id="400000000000000001")
    assert "Nordby skole" in texts(answers)


async def test_a_group_for_two_members_is_a_private_thread_with_both(discord_bot: Harness, fake: FakeDiscord) -> None:
    await set_up_network(discord_bot)
    await discord_bot.slash("ola", "samskap", "bli-med", "Sørby skole")
    group = await discord_bot.adapter.open_group([member_user("kari"), member_user("ola")], "Samsnakk: Kari og Ola")
    assert group.id == CHANNEL_ID and group.thread_id in fake.threads
    assert fake.threads[group.thread_id]["type"] == 12
    assert sorted(fake.thread_members[group.thread_id]) == sorted([user_id("kari"), user_id("ola")])
    await discord_bot.adapter.send(Destination.group(group), Message.text("Hei dere!"))
    assert fake.messages[group.thread_id][0]["content"] == "Hei dere!"


# -- interactions that take time, and messages --------------------------------------------------------


async def test_a_slow_handler_is_deferred_and_its_reply_replaces_the_thinking_state(
    fake: FakeDiscord, tmp_path, restore_discord_urls: None
) -> None:  # type: ignore[no-untyped-def]
    from bot.clock import FakeClock

    harness = await Harness(fake, f"sqlite:///{tmp_path / 'slow.db'}", FakeClock(), defer_after=0.05).start()
    try:

        @harness.bot.router.command("treg", access="anyone")
        async def slow(ctx: Context) -> None:
            await asyncio.sleep(0.3)
            await ctx.reply("Ferdig etter en stund")

        answers = await harness.slash("kari", "treg")
        assert answers[0]["type"] == 5 and answers[0]["data"]["flags"] == 64
        assert answers[1]["edit"] == "@original" and answers[1]["content"] == "Ferdig etter en stund"

        @harness.bot.router.action("test.slow", access="anyone", takes_value=False)
        async def slow_click(ctx: Context) -> None:
            await asyncio.sleep(0.3)
            await ctx.reply("Klikket")

        clicked = await harness.click("kari", "a|test.slow|")
        assert clicked[0]["type"] == 6  # acknowledged without touching the message
        assert clicked[1]["content"] == "Klikket" and clicked[1]["flags"] == 64 and clicked[1]["edit"] is None
    finally:
        await harness.close()


async def test_an_ephemeral_reply_outside_an_interaction_becomes_a_direct_message(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    sent = await discord_bot.adapter.send(
        Destination.ephemeral(CHANNEL, member_user("kari")), Message.text("Bare til deg")
    )
    assert discord_bot.dms_to("kari")[0]["content"] == "Bare til deg"
    assert sent is not None and sent.conversation.is_direct


async def test_channel_messages_reach_message_listeners(discord_bot: Harness, fake: FakeDiscord) -> None:
    heard: list[tuple[str, bool]] = []
    done = asyncio.Event()

    @discord_bot.bot.router.on_message()
    async def listen(ctx: Context) -> None:
        heard.append((ctx.event.text, ctx.event.conversation.id == CHANNEL_ID))  # type: ignore[attr-defined]
        done.set()

    await fake.dispatch("MESSAGE_CREATE", fake.user_message(user_id("kari"), "kari", "Se https://udir.no/artikkel"))
    await asyncio.wait_for(done.wait(), 5)
    assert heard == [("Se https://udir.no/artikkel", True)]


async def test_a_message_in_a_thread_the_client_has_not_seen_belongs_to_that_thread(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    heard: list[tuple[str, str | None]] = []
    done = asyncio.Event()

    @discord_bot.bot.router.on_message()
    async def listen(ctx: Context) -> None:
        heard.append((ctx.event.conversation.id, ctx.event.conversation.thread_id))
        done.set()

    thread_id = "400000000000000002"
    fake.threads[thread_id] = thread_payload(thread_id, CHANNEL_ID, "Kritisk venn #3")
    await fake.dispatch(
        "MESSAGE_CREATE", fake.user_message(user_id("kari"), "kari", "Et spørsmål", channel_id=thread_id)
    )
    await asyncio.wait_for(done.wait(), 5)
    assert heard == [(CHANNEL_ID, thread_id)]


async def test_a_newcomer_to_the_server_is_welcomed_when_the_members_intent_is_on(
    fake: FakeDiscord, tmp_path, restore_discord_urls: None
) -> None:  # type: ignore[no-untyped-def]
    from bot.clock import FakeClock

    harness = await Harness(fake, f"sqlite:///{tmp_path / 'welcome.db'}", FakeClock(), members=True).start()
    try:
        identify = next(op for op in fake.gateway_ops if op["op"] == 2)
        assert identify["d"]["intents"] & (1 << 1)  # GUILD_MEMBERS
        await set_up_network(harness)
        await fake.dispatch("GUILD_MEMBER_ADD", {**fake.member(user_id("nina"), "nina"), "guild_id": GUILD_ID})
        welcome = (await eventually(lambda: harness.dms_to("nina"), what="a welcome to nina"))[0]
        assert "nina" in welcome["content"] and nb.t("Join") in text_of(welcome)
    finally:
        await harness.close()


async def test_message_content_intent_follows_the_setting(fake: FakeDiscord) -> None:
    from adapters.discord.options import DiscordOptions
    from bot.config import Config

    on = DiscordOptions.from_config(Config(), {"SAMSKAP_DISCORD_MESSAGE_CONTENT": "true"})
    off = DiscordOptions.from_config(Config(sections={"discord": {"message_content": True}}),
                                     {"SAMSKAP_DISCORD_MESSAGE_CONTENT": "false"})  # fmt: skip
    assert on.intents().message_content and not off.intents().message_content
    assert DiscordOptions.from_config(Config(sections={"discord": {"message_content": True}}), {}).message_content


# -- gateway and failures --------------------------------------------------------------------------


async def test_the_client_resumes_after_a_reconnect_and_keeps_working(discord_bot: Harness, fake: FakeDiscord) -> None:
    await fake.ask_to_reconnect()
    resume = [op for op in fake.gateway_ops if op["op"] == 6]
    assert resume and resume[0]["d"]["session_id"] == "session-1" and resume[0]["d"]["seq"] >= 2
    assert len([op for op in fake.gateway_ops if op["op"] == 2]) == 1  # no second IDENTIFY
    answers = await discord_bot.slash("kari", "samskap", "start")
    assert answers and answers[0]["type"] == 4


async def test_a_429_is_waited_out_and_the_message_is_sent_once(discord_bot: Harness, fake: FakeDiscord) -> None:
    fake.fail("POST", r"^/channels/\d+/messages$", 429, {"message": "You are being rate limited.", "retry_after": 0.05,
              "global": False}, headers={"Via": "1.1 google", "X-RateLimit-Scope": "user"})  # fmt: skip
    result = await discord_bot.bot.outbox.deliver(
        "digest:1", Destination.channel(CHANNEL), Message.text("Nettverksbrev")
    )
    assert result.status == "sent"
    assert len(fake.requests_to("POST", r"^/channels/\d+/messages$")) == 2
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["Nettverksbrev"]


async def test_a_long_429_is_left_to_the_outbox_which_sends_later_once(discord_bot: Harness, fake: FakeDiscord) -> None:
    fake.fail("POST", r"^/channels/\d+/messages$", 429, {"message": "Slow down", "retry_after": 60, "global": False},
              headers={"Via": "1.1 google"})  # fmt: skip
    result = await discord_bot.bot.outbox.deliver("digest:2", Destination.channel(CHANNEL), Message.text("Brev"))
    assert result.status == "pending" and result.error is not None and result.error.code == "rate_limited"
    assert CHANNEL_ID not in fake.messages

    discord_bot.clock.advance(__import__("datetime").timedelta(minutes=2))
    assert await discord_bot.bot.outbox.retry_due() == 1
    assert await discord_bot.bot.outbox.retry_due() == 0
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["Brev"]


async def test_server_errors_are_retryable_and_forbidden_is_not(discord_bot: Harness, fake: FakeDiscord) -> None:
    fake.fail("POST", r"^/channels/\d+/messages$", 503, {"message": "unavailable", "code": 0})
    result = await discord_bot.bot.outbox.deliver("a", Destination.channel(CHANNEL), Message.text("A"))
    assert result.status == "pending" and result.error is not None and result.error.code == "server_error"

    fake.fail("POST", r"^/channels/\d+/messages$", 403, {"message": "Missing Permissions", "code": 50013})
    result = await discord_bot.bot.outbox.deliver("b", Destination.channel(CHANNEL), Message.text("B"))
    assert result.status == "failed" and result.error is not None and result.error.code == "forbidden"


async def test_updating_a_deleted_message_reports_it_gone(discord_bot: Harness) -> None:
    from bot.adapter import DeliveryError, SentMessage

    try:
        await discord_bot.adapter.update(SentMessage(CHANNEL, "123"), Message.text("ny tekst"))
    except DeliveryError as error:
        assert error.code == "gone" and not error.retryable
    else:
        raise AssertionError("expected a DeliveryError")


async def test_a_split_message_that_fails_halfway_continues_without_repeats(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    long_text = "\n".join(f"Linje {i}: " + "ord " * 40 for i in range(40))  # about three Discord messages
    posted = 0
    original = fake._post_message

    def flaky(channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        nonlocal posted
        posted += 1
        if posted == 2:
            fake.fail("POST", r"^/channels/\d+/messages$", 503, {"message": "unavailable"})
        return original(channel_id, body)

    fake._post_message = flaky  # type: ignore[method-assign]
    result = await discord_bot.bot.outbox.deliver("long", Destination.channel(CHANNEL), Message.text(long_text))
    assert result.status == "pending"
    discord_bot.clock.advance(__import__("datetime").timedelta(minutes=2))
    await discord_bot.bot.outbox.retry_due()
    contents = [m["content"] for m in fake.messages[CHANNEL_ID]]
    assert len(contents) == len(set(contents)) >= 3
    assert "\n".join(contents) == long_text.strip()


async def test_my_data_arrives_as_a_file_in_a_direct_message(discord_bot: Harness, fake: FakeDiscord) -> None:
    await set_up_network(discord_bot)
    answers = await discord_bot.slash("kari", "samskap", "mine-data")
    assert nb.t("I have sent you your data in a direct message.") in texts(answers)
    dm = discord_bot.dms_to("kari")[0]
    assert '"school": "Nordby skole"' in dm["files"]["samskap-mine-data.json"]


async def test_sync_commands_registers_the_generated_commands(
    fake: FakeDiscord, tmp_path, monkeypatch, restore_discord_urls: None
) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.cli import sync_commands

    monkeypatch.setenv("DISCORD_BOT_TOKEN", "fake-token")
    monkeypatch.setenv("SAMSKAP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SAMSKAP_DISCORD_API_URL", fake.api_url)
    monkeypatch.chdir(tmp_path)
    assert await sync_commands(None, "100000000000000001") == 0
    put = fake.requests_to("PUT", r"^/applications/\d+/guilds/100000000000000001/commands$")
    assert put and {c["name"] for c in put[0].body} >= {"samskap", "ide", "ideer"}
    samskap = next(c for c in put[0].body if c["name"] == "samskap")
    assert {o["name"] for o in samskap["options"]} >= {"start", "bli-med", "oppsett"}


async def test_member_commands_in_a_direct_message_before_joining_explain_where_to_join(
    discord_bot: Harness,
) -> None:
    answers = await discord_bot.slash("ola", "samskap", "innstillinger", dm=True)
    assert nb.t("In direct messages I only know you once you have joined a network. "
                "Join in the network's channel first: /samskap bli-med <your school>.") in texts(answers)  # fmt: skip


async def test_serve_connects_with_the_token_and_urls_from_the_environment(
    fake: FakeDiscord, tmp_path, monkeypatch, restore_discord_urls: None
) -> None:  # type: ignore[no-untyped-def]
    from adapters.discord.runner import serve
    from bot.app import build_bot
    from bot.config import load_config

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "fake-token")
    monkeypatch.setenv("SAMSKAP_DISCORD_API_URL", fake.api_url)
    monkeypatch.setenv("SAMSKAP_DISCORD_GATEWAY_URL", fake.gateway_url)
    config = load_config(None)
    config.database_url = f"sqlite:///{tmp_path / 'serve.db'}"
    config.sections["discord"] = {"guild_ready_timeout": 0.05}
    bot = await build_bot(config)
    async with running(serve, bot, {"port": free_port()}):
        await asyncio.wait_for(fake._identified.wait(), 10)
        identify = next(op for op in fake.gateway_ops if op["op"] == 2)
        assert identify["d"]["token"] == "fake-token"
        assert not identify["d"]["intents"] & (1 << 15)  # no Message Content intent unless asked for
        payload = fake.interaction(2, {"id": "1", "name": "samskap", "type": 1, "options": []}, user_id("kari"), "kari")
        await fake.dispatch("INTERACTION_CREATE", payload)
        await eventually(lambda: any(c["token"] == payload["token"] for c in fake.callbacks),
                         what="the answer to the interaction")  # fmt: skip


async def test_two_servers_are_two_networks_and_one_person_can_join_both(discord_bot: Harness) -> None:
    other_guild, other_channel = "100000000000000002", "200000000000000009"
    await set_up_network(discord_bot)
    await discord_bot.slash("rektor2", "samskap", "oppsett", "Agder-nettverket", admin=True,
                            guild_id=other_guild, channel_id=other_channel)  # fmt: skip
    joined = await discord_bot.slash("kari", "samskap", "bli-med", "Sørby skole", guild_id=other_guild,
                                     channel_id=other_channel)  # fmt: skip
    assert "Agder-nettverket" in texts(joined)
    here = await discord_bot.slash("kari", "samskap", "innstillinger")
    there = await discord_bot.slash("kari", "samskap", "innstillinger", guild_id=other_guild, channel_id=other_channel)
    assert "Nordby skole" in texts(here) and "Sørby skole" in texts(there)


async def test_a_reply_after_the_interaction_token_expired_goes_by_direct_message(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    fake.fail("POST", r"^/interactions/\d+/[^/]+/callback$", 404, {"message": "Unknown interaction", "code": 10062})
    await discord_bot.slash("kari", "samskap", "start")
    assert "/samskap bli-med" in "\n".join(m["content"] for m in discord_bot.dms_to("kari"))


async def test_half_filled_forms_are_in_my_data_and_deleted_with_me(discord_bot: Harness, fake: FakeDiscord) -> None:
    from storage.repositories.discord import Stash

    await set_up_network(discord_bot)
    register_long_form(discord_bot, [])
    answers = await discord_bot.slash("kari", "testskjema")
    await discord_bot.submit("kari", answers[0]["data"]["custom_id"], {"f1": "halvveis"})

    await discord_bot.slash("kari", "samskap", "mine-data")
    exported = discord_bot.dms_to("kari")[-1]["files"]["samskap-mine-data.json"]
    assert '"discord"' in exported and "halvveis" in exported

    await discord_bot.slash("kari", "samskap", "slett-meg", "bekreft")
    async with discord_bot.bot.db.session() as s:
        assert await Stash(s).forms_of(user_id("kari")) == []


async def test_a_split_message_is_updated_part_by_part_and_parts_no_longer_needed_are_deleted(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    from bot.outbox import sent_message

    long_text = "\n".join(f"Linje {i}: " + "ord " * 40 for i in range(40))  # about three Discord messages
    await discord_bot.bot.outbox.deliver("long", Destination.channel(CHANNEL), Message.text(long_text))
    row = await discord_bot.bot.outbox.get("long")
    sent = sent_message(row) if row else None  # as a digest finds it, after any restart
    assert sent is not None and len(sent.more_ids) == len(fake.messages[CHANNEL_ID]) - 1 >= 2

    await discord_bot.adapter.update(sent, Message.text(long_text.replace("ord", "nytt ord", 150)))
    assert len(fake.messages[CHANNEL_ID]) == 1 + len(sent.more_ids)
    assert fake.messages[CHANNEL_ID][0]["content"].startswith("Linje 0: nytt ord")

    await discord_bot.adapter.update(sent, Message.text("Kortere nå"))
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["Kortere nå"]


async def test_a_leader_puts_a_network_meeting_in_the_calendar_from_discord(discord_bot: Harness) -> None:
    await set_up_network(discord_bot)
    added = await discord_bot.slash("kari", "samling", "ny", "14.01.2027 12:00 Rådhuset: trivsel")
    # The year is shown unless it is this year's meeting (the real clock runs here).
    assert "Samling 1 er satt opp: tor. 14. jan." in texts(added) and "kl. 12:00 — Rådhuset: trivsel" in texts(added)
    listed = await discord_bot.slash("kari", "samling", "start")
    assert "De neste samlingene" in texts(listed) and "Rådhuset" in texts(listed)


async def test_two_deliveries_with_the_same_text_to_one_channel_are_both_posted(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    for key in ("samling:1:reminder", "samling:2:reminder"):
        result = await discord_bot.bot.outbox.deliver(key, Destination.channel(CHANNEL), Message.text("Husk samlingen"))
        assert result.status == "sent"
    assert [m["content"] for m in fake.messages[CHANNEL_ID]] == ["Husk samlingen", "Husk samlingen"]


async def test_a_delivery_interrupted_after_discord_kept_it_gets_the_first_message_back(
    discord_bot: Harness, fake: FakeDiscord
) -> None:
    kept = asyncio.Event()

    async def worker_stops_before_the_answer(request: object, answer: object) -> None:
        kept.set()
        await asyncio.sleep(30)

    fake.on_post = worker_stops_before_the_answer
    sending = asyncio.create_task(
        discord_bot.bot.outbox.deliver("digest:3:week:48", Destination.channel(CHANNEL), Message.text("Ukens brev"))
    )
    await kept.wait()
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    fake.on_post = None

    discord_bot.clock.advance(__import__("datetime").timedelta(minutes=3))
    assert await discord_bot.bot.outbox.retry_due() == 1
    [posted] = fake.messages[CHANNEL_ID]
    first, again = fake.requests_to("POST", r"^/channels/\d+/messages$")
    assert first.body["nonce"] == again.body["nonce"] and again.body["enforce_nonce"] is True
    row = await discord_bot.bot.outbox.get("digest:3:week:48")
    assert row is not None and row.status == "sent" and row.sent_message_id == posted["id"]
