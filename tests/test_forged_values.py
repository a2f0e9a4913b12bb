"""Forged button values and form states: a value is a pointer we chose, but the client hands it back.

Every action and form of every feature is clicked with values that point at another network's
objects, at objects the clicker has no right to, at ids that do not exist, and at values of the
wrong shape. Each must leave the database as it was, send nothing to anyone but the clicker, and
give the clicker a clear refusal in their language. The table is checked against the router, so a
new action or form without forged cases fails here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from adapters.memory import Chat, Sent
from bot.events import ActionEvent, Conversation, Event, FormSubmitted, User
from bot.i18n import load_catalog
from storage.models.base import Base
from storage.models.core import Member
from storage.models.ideas import PracticeIdea
from storage.models.kritisk_venn import KvSession
from storage.models.samsnakk import SamsnakkCall, SamsnakkGroup, SamsnakkGroupMember

OTHER = "other"  # the second network's workspace

# Shapes no button of ours ever carries.
MALFORMED = ("abc", "99999999999999999999", "-1", "0", '{"id": 1}', "1|2|3|4|5|6", "1:x:y", "9" * 5000, "\x00")

# Per action (or form): forged values. `{...}` names an object in the scene as the clicker sees it:
# foreign_* lies in the other network, others_* in the clicker's own network but not theirs.
ACTIONS: dict[str, tuple[str, ...]] = {
    "ideas.show": ("{foreign_idea}",),
    "ideas.adopt": ("{foreign_idea}",),
    "ideas.report": ("{foreign_idea}",),
    "ideas.snooze": ("{foreign_idea}", "{others_idea}"),
    "ideas.not_yet": ("{foreign_idea}", "{others_idea}"),
    "samsnakk.pick": (
        "{foreign_member}|{future}",
        "{neighbour}|{future}|{foreign_member}",
        "{neighbour}|not-a-time",
        "{neighbour}|{future}|abc",
        "{neighbour}",
    ),
    "samsnakk.book_group": ("{foreign_group}", "{others_group}"),
    "samsnakk.accept": ("{foreign_call}", "{others_call}", "{others_call}:1", "{foreign_call}:x"),
    "samsnakk.decline": ("{foreign_call}", "{others_call}", "{others_call}:1"),
    "samsnakk.counter": ("{foreign_call}", "{others_call}:1"),
    "samsnakk.cancel": ("{foreign_call}", "{others_call}", "{foreign_open_call}"),
    "samsnakk.move": ("{foreign_call}", "{others_call}:1"),
    "samsnakk.take": ("{foreign_open_call}", "{others_call}"),
    "samsnakk.note": ("g{foreign_group}", "g{others_group}", "c{foreign_call}", "c{others_call}", "x1"),
    "samsnakk.met": ("{foreign_group}:met", "{others_group}:met", "{foreign_group}:bogus", "{others_group}"),
    "samsnakk.round": ("bogus", "{foreign_group}"),
    "kritisk_venn.accept": ("{foreign_kv}", "{others_kv}", "{foreign_kv}:1"),
    "kritisk_venn.volunteer": ("{foreign_kv}", "{others_kv}"),
    "kritisk_venn.decline": ("{foreign_kv}", "{others_kv}"),
    "kritisk_venn.volunteers": ("{foreign_kv}", "{others_kv}"),
    "kritisk_venn.start_now": ("{foreign_kv}", "{others_kv}"),
    "kritisk_venn.cancel": ("{foreign_kv}", "{others_kv}"),
    "kritisk_venn.contribute": ("{foreign_kv}", "{others_kv}"),
    "kritisk_venn.next": ("{foreign_kv}", "{others_kv}:0", "{foreign_kv}:-1"),
    "kritisk_venn.share": ("{foreign_kv}", "{others_kv}"),
    "membership.join": ("{foreign_member}",),
    "membership.toggle": ("no_such_setting", "tidssone", "samsnakk_tider"),
    "membership.erase": ("{foreign_member}", "{neighbour}"),
    "membership.keep": ("{foreign_member}",),
    "digest.publish": ("{foreign_member}",),
    "digest.skip": ("{foreign_member}",),
}

# Per form: what is typed in it (valid text, so only the state is at fault), and forged states.
FORMS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "ideas.new": ({"text": ""}, ("{foreign_idea}",)),
    "ideas.report": (
        {"did": "Vi prøvde det.", "changed": "Mer ro.", "happened": "Elevene likte det."},
        ("{foreign_idea}",),
    ),
    "samsnakk.note": (
        {"note": "Faste soner i friminuttet hjelper."},
        ("g{foreign_group}", "g{others_group}", "c{foreign_call}", "c{others_call}", "x1"),
    ),
    "samsnakk.counter": ({"time": "i morgen 15"}, ("{foreign_call}", "{others_call}:1", "{others_call}:x")),
    "samsnakk.move": ({"time": "i morgen 15"}, ("{foreign_call}", "{others_call}")),
    "kritisk_venn.start": (
        {
            "kind": "practice",
            "practice": "Trygghetsvandring.",
            "focus": "Hvordan?",
            "friends": "abc",
            "pace": "bogus",
            "venue": "thread",
            "names": "",
        },
        ("{foreign_kv}",),
    ),
    "kritisk_venn.contribute": ({"text": "Har de voksne faste soner?"}, ("{foreign_kv}:0", "{others_kv}:0")),
    "kritisk_venn.share": ({"note": "Voksne trenger et tydelig oppdrag."}, ("{foreign_kv}", "{others_kv}")),
}

FAILURE_WORDS = ("noe gikk galt", "something went wrong")


@dataclass
class Clicker:
    name: str
    workspace: str
    ids: dict[str, str]

    @property
    def user(self) -> User:
        return User("memory", self.workspace, self.name, self.name)

    @property
    def channel(self) -> Conversation:
        return Conversation("memory", self.workspace, "general")


def say_in(chat: Chat, workspace: str, name: str, line: str) -> Any:
    conv = Conversation("memory", workspace, "general")
    event = chat.adapter.command_event(name, line, conv)
    event = type(event)(user=User("memory", workspace, name, name), conversation=conv, name=event.name, args=event.args)
    return chat.bot.dispatch(event, chat.adapter)


async def build_scene(chat: Chat) -> list[Clicker]:
    """Network A (kari leads; ola, per, mallory) and network B (bob leads; eve, finn, gro), each with
    ideas, a round group, a proposed call, an open "who has time now" call and a kritisk venn round."""
    for workspace, people in (
        ("demo", (("kari", "Nordby"), ("ola", "Sørby"), ("per", "Vestby"), ("mallory", "Østby"))),
        (OTHER, (("bob", "Nordby"), ("eve", "Sørby"), ("finn", "Vestby"), ("gro", "Østby"))),
    ):
        for name, school in people:
            await say_in(chat, workspace, name, f"/samskap bli-med {school} skole")
    await say_in(chat, "demo", "kari", "/ide Vennskapsbenk i friminuttet")
    await say_in(chat, "demo", "ola", "/ide prøv 1")
    await say_in(chat, OTHER, "eve", "/ide Lesevenner på tvers av trinn")
    for workspace, leader, people in (("demo", "kari", ("kari", "ola", "per")), (OTHER, "bob", ("eve", "finn"))):
        for name in people:
            await say_in(chat, workspace, name, "/samsnakk på")
        await say_in(chat, workspace, leader, "/samsnakk runde kjør")
    await say_in(chat, "demo", "kari", "/samsnakk @ola i morgen 14")
    await say_in(chat, OTHER, "eve", "/samsnakk @finn i morgen 14")
    await say_in(chat, "demo", "per", "/samsnakk nå")
    await say_in(chat, OTHER, "finn", "/samsnakk nå")
    # Each round asks two named colleagues, so neither clicker is invited.
    for workspace, presenter, names in (("demo", "kari", "@ola @per"), (OTHER, "eve", "@finn @gro")):
        await say_in(chat, workspace, presenter, "/kritiskvenn")
        opened = chat.adapter.last_form(presenter)
        values = {"kind": "practice", "practice": "Trygghetsvandring i friminuttene.", "focus": "Hvordan?",
                  "friends": "2", "pace": "live", "venue": "thread", "names": names}  # fmt: skip
        await chat.bot.dispatch(
            FormSubmitted(user=opened.user, conversation=opened.event.conversation, form_id=opened.form.form_id,
                          values=values, state=opened.form.state),
            chat.adapter,
        )  # fmt: skip

    async with chat.bot.db.read() as s:
        members = {(m.workspace_id, m.user_id): m for m in (await s.execute(select(Member))).scalars()}
        nets = {ws: members[(ws, lead)].network_id for ws, lead in (("demo", "kari"), (OTHER, "bob"))}
        ideas = {i.network_id: i.id for i in (await s.execute(select(PracticeIdea))).scalars()}
        calls = list((await s.execute(select(SamsnakkCall))).scalars())
        groups = {
            g.id: (await s.execute(select(SamsnakkGroupMember.member_id).where(SamsnakkGroupMember.group_id == g.id)))
            .scalars()
            .all()
            for g in (await s.execute(select(SamsnakkGroup))).scalars()
        }
        kv = {k.network_id: k.id for k in (await s.execute(select(KvSession))).scalars()}

    def network_of_group(group_id: int) -> int:
        return next(m.network_id for m in members.values() if m.id in groups[group_id])

    def scene(workspace: str, name: str, neighbour: str, foreign: str) -> dict[str, str]:
        own, other = nets[workspace], nets[OTHER if workspace == "demo" else "demo"]
        return {
            "foreign_member": str(members[(OTHER if workspace == "demo" else "demo", foreign)].id),
            "neighbour": str(members[(workspace, neighbour)].id),
            "foreign_idea": str(ideas[other]),
            "others_idea": str(ideas[own]),
            "foreign_call": str(next(c.id for c in calls if c.network_id == other and c.status == "proposed")),
            "others_call": str(next(c.id for c in calls if c.network_id == own and c.status == "proposed")),
            "foreign_open_call": str(next(c.id for c in calls if c.network_id == other and c.status == "open")),
            "foreign_group": str(next(g for g in groups if network_of_group(g) == other)),
            "others_group": str(next(g for g in groups if network_of_group(g) == own)),
            "foreign_kv": str(kv[other]),
            "others_kv": str(kv[own]),
            "future": chat.clock.now().replace(microsecond=0).isoformat().replace("+00:00", "") + "+00:00",
        }

    scene_a = scene("demo", "mallory", "ola", "eve")
    scene_b = scene(OTHER, "bob", "eve", "per")
    return [Clicker("mallory", "demo", scene_a), Clicker("bob", OTHER, scene_b)]


async def database_rows(chat: Chat) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with chat.bot.db.read() as s:
        for table in Base.metadata.sorted_tables:
            result = await s.execute(select(table))
            rows[table.name] = sorted((tuple(map(repr, r)) for r in result.all()), key=repr)
    return rows


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@functools.cache
def untranslated_english() -> re.Pattern[str]:
    """Any English sentence of ours that bokmål says differently: a reply containing one was not
    translated. (Short texts are left out: a word like "Ja" could be either.)"""
    sentences = []
    for message in load_catalog("nb"):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if len(msgid) >= 20 and msgid not in strings:
                sentences.append(re.sub(r"\\\{\w+\\\}", ".*?", re.escape(msgid)))
    return re.compile("|".join(sentences), re.S)


def problems_with(clicker: Clicker, sent: list[Sent], forms_opened: int) -> list[str]:
    found = []
    for item in sent:
        user = item.destination.user
        if user is None or (user.workspace_id, user.id) != (clicker.workspace, clicker.name):
            found.append(f"sent to {item.destination.kind} {user and user.id}: {item.text[:80]!r}")
    replies = [s.text for s in sent]
    if forms_opened:
        found.append("opened a form")
    if not replies:
        found.append("no refusal")
    for text in replies:
        if any(word in text.lower() for word in FAILURE_WORDS):
            found.append(f"failed: {text[:80]!r}")
        elif english := untranslated_english().search(text):
            found.append(f"not in the clicker's language: {english.group(0)[:80]!r}")
    return found


async def forged_click(chat: Chat, clicker: Clicker, event: Event) -> list[str]:
    sent_before, forms_before = len(chat.sent), len(chat.adapter.forms)
    await chat.bot.dispatch(event, chat.adapter)
    return problems_with(clicker, chat.sent[sent_before:], len(chat.adapter.forms) - forms_before)


def values_for(template_values: tuple[str, ...], clicker: Clicker) -> list[str]:
    return [v.format(**clicker.ids) for v in template_values] + list(MALFORMED)


@pytest.fixture
async def scene_chat(any_database_url: str) -> AsyncIterator[tuple[Chat, list[Clicker]]]:
    chat = await Chat.start(any_database_url)
    clickers = await build_scene(chat)
    yield chat, clickers
    await chat.close()


def test_every_action_and_form_has_forged_cases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.app import build_bot
    from bot.config import Config

    async def routes() -> tuple[set[str], set[str]]:
        bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'x.db'}"), adapters=[])
        try:
            return set(bot.router.actions) | set(bot.router.action_prefixes), set(bot.router.forms)
        finally:
            from bot.app import shutdown

            await shutdown(bot)

    actions, forms = asyncio.run(routes())
    assert actions == set(ACTIONS), "actions without forged cases (or cases for gone actions)"
    assert forms == set(FORMS), "forms without forged cases (or cases for gone forms)"


async def test_forged_values_change_nothing_reach_nobody_and_are_refused(
    scene_chat: tuple[Chat, list[Clicker]],
) -> None:
    chat, clickers = scene_chat
    failures: list[str] = []
    for action_id, templates in ACTIONS.items():
        before = await database_rows(chat)
        for clicker in clickers:
            for value in values_for(templates, clicker):
                event = ActionEvent(user=clicker.user, conversation=clicker.channel, action_id=action_id, value=value)
                for problem in await forged_click(chat, clicker, event):
                    failures.append(f"action {action_id} {value[:40]!r} by {clicker.name}: {problem}")
        if changed := changed_tables(before, await database_rows(chat)):
            failures.append(f"action {action_id} changed {changed}")
    for form_id, (typed, templates) in FORMS.items():
        before = await database_rows(chat)
        for clicker in clickers:
            for state in values_for(templates, clicker):
                event = FormSubmitted(
                    user=clicker.user, conversation=clicker.channel, form_id=form_id, values=typed, state=state
                )
                for problem in await forged_click(chat, clicker, event):
                    failures.append(f"form {form_id} {state[:40]!r} by {clicker.name}: {problem}")
        if changed := changed_tables(before, await database_rows(chat)):
            failures.append(f"form {form_id} changed {changed}")
    assert not failures, "\n".join(failures)


async def test_a_forged_free_time_button_cannot_invite_a_member_of_another_network(
    scene_chat: tuple[Chat, list[Clicker]],
) -> None:
    chat, (mallory, _bob) = scene_chat
    value = "{neighbour}|{future}|{foreign_member}".format(**mallory.ids)
    before = len(chat.sent)

    await chat.bot.dispatch(
        ActionEvent(user=mallory.user, conversation=mallory.channel, action_id="samsnakk.pick", value=value),
        chat.adapter,
    )

    sent = chat.sent[before:]
    assert [s.destination.user.id for s in sent if s.destination.user] == ["mallory"]
    assert sent[0].text == (
        "Denne knappen eller dette skjemaet er ikke til deg, eller virker ikke lenger. Bruk kommandoen i stedet."
    )
    async with chat.bot.db.read() as s:
        assert len((await s.execute(select(SamsnakkCall))).all()) == 4  # the scene's own calls only
