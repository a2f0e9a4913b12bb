"""Signed passes to the leaders' page: a link to open within minutes, then a session cookie.

Both carry the leader's member id, the network and when they expire, signed with a key every
worker shares (itsdangerous, HMAC-SHA1 over the payload with a salt per kind, so a link cannot
be used as a cookie or the other way round). The expiry is signed, not trusted from the browser.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=4)


class Refusal(enum.StrEnum):
    ALTERED = "altered"  # not signed by us, or changed since
    EXPIRED = "expired"


@dataclass(frozen=True)
class Pass:
    member_id: int
    network_id: int
    expires: datetime


class Signer:
    def __init__(self, key: str) -> None:
        self._link = URLSafeSerializer(key, salt="samskap.leaders.link")
        self._session = URLSafeSerializer(key, salt="samskap.leaders.session")

    def link(self, member_id: int, network_id: int, now: datetime) -> str:
        return self._link.dumps(_payload(member_id, network_id, now + LINK_LIFETIME))

    def session(self, member_id: int, network_id: int, now: datetime) -> str:
        return self._session.dumps(_payload(member_id, network_id, now + SESSION_LIFETIME))

    def read_link(self, token: str, now: datetime) -> Pass | Refusal:
        return _read(self._link, token, now)

    def read_session(self, token: str, now: datetime) -> Pass | Refusal:
        return _read(self._session, token, now)


def _payload(member_id: int, network_id: int, expires: datetime) -> dict[str, int]:
    return {"m": member_id, "n": network_id, "e": int(expires.timestamp())}


def _read(serializer: URLSafeSerializer, token: str, now: datetime) -> Pass | Refusal:
    try:
        data: Any = serializer.loads(token)
        member_id, network_id, expires = int(data["m"]), int(data["n"]), int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return Refusal.ALTERED
    moment = datetime.fromtimestamp(expires, UTC)
    return Refusal.EXPIRED if moment <= now else Pass(member_id, network_id, moment)
