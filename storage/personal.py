"""What every column holds about a member, for `/samskap mine-data` and `/samskap slett-meg`.

GDPR articles 15 (access) and 17 (erasure) need to know where a member is stored. Every column of
every table is classified below; `tests/test_erasure.py` fails on a column that is not (or on an
entry whose column is gone), so a new table or column cannot be forgotten by the export or the
erasure. A column that refers to a member is handled in one of three ways:

- its foreign key to `members` deletes the row or sets the column to NULL (`ondelete`), which
  the test checks in the schema;
- `erase="set_null"`: a plain member id without a foreign key; the erasure sets it to NULL;
- `erase="eraser"`: the column's feature (or the core erasure) removes or rewrites what names
  the member, and the test proves it by finding a marker written everywhere 0 times afterwards.

Columns with `owner` give the column of the same row that says whose words they are; the erasure
reads them first, to find the member's words again where the bot copied them (outbox messages).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Column, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.sqltypes import String

from storage.models import Base


class Holds(enum.StrEnum):
    NOTHING = "nothing"  # nothing about a member: statuses, counts, times, platform message ids, tokens
    NETWORK = "network"  # the network's own words, set by its leaders (name, welcome, meetings, feeds)
    MEMBER = "member"  # a member's id
    PLATFORM_ID = "platform_id"  # a member's id on the chat platform, or a conversation only with them
    WORDS = "words"  # what a member wrote, their name or their school


Erase = Literal["database", "set_null", "eraser"]


@dataclass(frozen=True)
class Personal:
    holds: Holds
    # The column of the same row that names the member whose words these are.
    owner: str | None = None
    # Shown by `mine-data`; when not, `why` says why.
    exported: bool = True
    erase: Erase = "database"
    why: str = ""


NOTHING = Personal(Holds.NOTHING)
NETWORK = Personal(Holds.NETWORK)


def _nothing(names: str) -> dict[str, Personal]:
    """Columns that hold nothing about a member, named in one string."""
    return dict.fromkeys(names.split(), NOTHING)


def _member(erase: Erase = "database") -> Personal:
    return Personal(Holds.MEMBER, erase=erase)


def _words(owner: str, *, exported: bool = True, erase: Erase = "database", why: str = "") -> Personal:
    return Personal(Holds.WORDS, owner=owner, exported=exported, erase=erase, why=why)


COPIES = "copies of messages the bot sent; the member has them on the platform"

# table -> column -> what it holds. Primary keys named `id` are left out.
COLUMNS: dict[str, dict[str, Personal]] = {
    "networks": {
        **_nothing("language timezone workspace_key created_at"),
        "name": NETWORK,
        "settings": NETWORK,
    },
    "channels": {**_nothing("network_id platform workspace_id channel_id created_at"), "name": NETWORK},
    "members": {
        **_nothing("network_id platform workspace_id role language joined_at"),
        "user_id": Personal(Holds.PLATFORM_ID, owner="id"),
        "display_name": _words("id"),
        # Shared with colleagues, so not looked for in copies of messages (it would match theirs).
        "school": Personal(Holds.WORDS),
        "opt_ins": _words("id"),
    },
    "learning_notes": {
        **_nothing("network_id source created_at"),
        "member_id": _member(),
        "text": _words("member_id"),
    },
    "audit_log": {
        **_nothing("network_id action created_at"),
        "actor_member_id": _member("set_null"),
        # {"member_id": ...} of a role change, {"value": ...} of a setting the actor typed.
        "details": Personal(Holds.WORDS, owner="actor_member_id", erase="eraser"),
    },
    "scheduled_jobs": {
        **_nothing("key kind run_at planned_at status cron timezone attempts locked_until last_error"),
        # {"member": ...} or {"member_id": ...}; no job carries a member's words.
        "payload": Personal(Holds.MEMBER, exported=False, erase="eraser", why="work the bot has planned"),
    },
    "deliveries": {
        **_nothing(
            "key platform status attempts next_attempt_at locked_until sent_message_id sent_more_ids last_error "
            "created_at sent_at"
        ),
        "destination": Personal(Holds.PLATFORM_ID, exported=False, erase="eraser", why=COPIES),
        "message": Personal(Holds.WORDS, exported=False, erase="eraser", why=COPIES),
        "sent_conversation": Personal(Holds.PLATFORM_ID, exported=False, erase="eraser", why=COPIES),
        "notify_member_id": _member("set_null"),
    },
    "discord_stash": {
        **_nothing("key kind created_at"),
        "user_id": Personal(Holds.PLATFORM_ID, owner="user_id", erase="eraser"),
        # Button rows hold an action and an id; form rows the answers being typed.
        "data": Personal(Holds.WORDS, owner="user_id", erase="eraser"),
    },
    "slack_installations": {
        **_nothing(
            "installation_key enterprise_id team_id app_id bot_token bot_id bot_user_id bot_scopes "
            "is_enterprise_install installed_at"
        ),
        "team_name": NETWORK,
        "installer_user_id": Personal(Holds.PLATFORM_ID, owner="installer_user_id", erase="eraser"),
    },
    "slack_oauth_states": _nothing("state expires_at"),
    # A hash of a request Slack sent (event id, trigger id or signed body), kept an hour against replays.
    "slack_seen_requests": _nothing("key expires_at"),
    # The key that signs leaders' links to the overview page, when SAMSKAP_WEB_SECRET is not set.
    "web_secrets": _nothing("name value created_at"),
    "teams_tenants": {**_nothing("tenant_id service_url bot_id updated_at")},
    "teams_people": {
        **_nothing("tenant_id updated_at"),
        "user_id": Personal(Holds.PLATFORM_ID, owner="user_id", erase="eraser"),
        "teams_id": Personal(Holds.PLATFORM_ID, owner="user_id", erase="eraser"),
        "conversation_id": Personal(Holds.PLATFORM_ID, owner="user_id", erase="eraser"),
    },
    "teams_stash": {
        **_nothing("key kind created_at"),
        "user_id": Personal(Holds.PLATFORM_ID, owner="user_id", erase="eraser"),
        # A form card's answers so far, or a file offered in the 1:1 chat.
        "data": Personal(Holds.WORDS, owner="user_id", erase="eraser"),
    },
    "practice_ideas": {
        **_nothing("network_id posted_in posted_message_id created_at"),
        "author_id": _member(),
        "text": _words("author_id"),
        "tags": _words("author_id"),
    },
    "adoptions": {**_nothing("idea_id status created_at"), "member_id": _member()},
    "follow_ups": _nothing("adoption_id due_at status sent_at"),
    "experience_reports": {
        **_nothing("idea_id created_at"),
        "member_id": _member(),
        "what_we_did": _words("member_id"),
        "what_we_changed": _words("member_id"),
        "what_happened": _words("member_id"),
    },
    "kv_sessions": {
        **_nothing(
            "token network_id kind friends_wanted pace venue status phase phase_started_at phase_deadline "
            "open_to_volunteers conversation_gone note_shared created_at started_at ended_at"
        ),
        "presenter_id": _member(),
        "practice": _words("presenter_id"),
        "focus_question": _words("presenter_id"),
        # Where /kritiskvenn was used: a channel, or the presenter's direct messages.
        "origin": Personal(Holds.PLATFORM_ID, owner="presenter_id", exported=False, why="a conversation id"),
        # The round's thread or group.
        "conversation": NOTHING,
        "conversation_key": NOTHING,
    },
    "kv_friends": {
        **_nothing("session_id status source invited_at answered_at"),
        "member_id": _member(),
    },
    "kv_contributions": {
        **_nothing("session_id phase kind created_at"),
        "member_id": _member(),
        "text": _words("member_id"),
    },
    "samsnakk_rounds": {
        **_nothing("network_id number status seed starts_at ends_at created_at"),
        "prompt": NETWORK,
    },
    "samsnakk_groups": {**_nothing("round_id status"), "conversation": NOTHING},
    "samsnakk_group_members": {**_nothing("group_id note_shared"), "member_id": _member()},
    "samsnakk_avoid": {"member_id": _member(), "avoided_id": _member()},
    "samsnakk_calls": {
        **_nothing(
            "network_id status starts_at minutes room version expires_at posted_message_id requester_noted "
            "partner_noted created_at"
        ),
        "requester_id": _member(),
        "partner_id": _member(),
        "guest_id": _member(),
        "proposed_by_id": _member("set_null"),
        "topic": _words("requester_id"),
        "posted_in": NOTHING,  # the channel where `/samsnakk nå` asked (never a direct message)
    },
    "samlinger": {**_nothing("network_id starts_at created_at"), "about": NETWORK},
    "digest_feeds": {
        **_nothing("network_id etag last_modified failures last_error polls last_polled_at next_poll_at created_at"),
        "url": NETWORK,
        "title": NETWORK,
        "added_by_id": _member(),
    },
    "digest_articles": {
        **_nothing("network_id language content_type published_at fetch_status fetch_error fetched_at first_seen_at"),
        # Read from the page a member shared: gone with the last share of it.
        "url": Personal(Holds.WORDS, erase="eraser"),
        "title": Personal(Holds.WORDS, erase="eraser"),
        "description": Personal(Holds.WORDS, erase="eraser"),
        "site_name": Personal(Holds.WORDS, erase="eraser"),
    },
    "digest_shares": {
        **_nothing("network_id article_id feed_id recommended explicit issue_id created_at"),
        "member_id": _member(),
        "comment": _words("member_id"),
    },
    "digest_issues": {
        **_nothing("network_id period status removed window_start window_end published_at updated_at"),
        "intro": NETWORK,
        # The published snapshot: names, comments, notes and titles of the week.
        "content": Personal(Holds.WORDS, exported=False, erase="eraser", why="the network's published digest"),
    },
    # Only the hash of the secret link: the link itself is shown to the member once.
    "calendar_feeds": {**_nothing("token_hash created_at"), "member_id": _member()},
    "mail_subscriptions": {
        **_nothing(
            "network_id language status confirm_hash code_hash confirm_expires_at unsubscribe_token created_at "
            "confirmed_at bounced_at"
        ),
        "member_id": _member(),
        "invited_by_id": _member(),
        # A member's own address, or one a leader invited (no member: its unsubscribe link deletes it).
        "address": _words("member_id"),
        # The mail server's reason for refusing the address, which often repeats it.
        "last_error": _words("member_id"),
    },
}


def classification(table: str, column: str) -> Personal | None:
    return COLUMNS.get(table, {}).get(column)


def columns_of_members() -> Iterator[tuple[Column[object], Personal]]:
    """Every column that holds something about a member, with its classification."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            found = classification(table.name, column.name)
            if found is not None and found.holds in (Holds.MEMBER, Holds.PLATFORM_ID, Holds.WORDS):
                yield column, found


async def words_of(session: AsyncSession, member_id: int, user_id: str) -> list[str]:
    """Everything in a text column the member owns (their name, ideas, reports, notes...).

    Read before the erasure, to recognise their words where the bot copied them (the outbox).
    """
    found: list[str] = []
    for column, personal in columns_of_members():
        if personal.holds != Holds.WORDS or personal.owner is None or not isinstance(column.type, String | Text):
            continue
        owner = column.table.columns[personal.owner]
        key: int | str = user_id if isinstance(owner.type, String) else member_id
        values = (await session.scalars(select(column).where(owner == key))).all()
        found.extend(str(v) for v in values if v)
    return found
