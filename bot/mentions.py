"""Finding the member a user refers to: `<@U123>` (Slack, Discord), `<@!123>`, or `@name`."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.core import Member
from storage.repositories.core import Members

_PLATFORM_MENTION = re.compile(r"<@!?([A-Za-z0-9_.-]+)(?:\|[^>]*)?>")
_NAME_MENTION = re.compile(r"@([\w.\-æøåÆØÅ]+)")
MENTION = re.compile(r"<@!?[A-Za-z0-9_.-]+(?:\|[^>]*)?>|@[\w.\-æøåÆØÅ]+")


async def find_member(session: AsyncSession, network_id: int, token: str) -> Member | None:
    """The member `token` names, or None. A token is a platform mention or @display-name."""
    members = Members(session)
    token = token.strip()
    if match := _PLATFORM_MENTION.fullmatch(token):
        return await members.by_platform_id(network_id, match.group(1))
    if match := _NAME_MENTION.fullmatch(token):
        name = match.group(1)
        return await members.by_platform_id(network_id, name) or await members.by_display_name(network_id, name)
    return None


def split_mention(args: str) -> tuple[str | None, str]:
    """Split "<@U1> rest" or "@kari rest" into the mention and the rest."""
    match = MENTION.match(args.strip())
    if not match:
        return None, args.strip()
    return match.group(0), args.strip()[match.end() :].strip()
