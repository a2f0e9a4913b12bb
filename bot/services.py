"""What features offer each other and the adapters, typed.

A feature's own handlers and jobs get its service directly (in `setup()`). Another feature never
imports it: it asks for what it needs by a protocol declared here, and the feature that offers it
fills the slot. Adapters and tests may ask for a service by its class (`services.get(MailService)`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from datetime import datetime

    from bot.adapter import Destination
    from bot.calendar import CalendarEvent
    from bot.i18n import Translator
    from bot.messages import Message
    from storage.models.core import Member, Network

T = TypeVar("T")


class MailingList(Protocol):
    """The addresses that read a network's digest by e-mail (the mail feature)."""

    async def destinations(self, network: Network) -> list[tuple[Destination, str]]:
        """Each confirmed address as a destination, with the language its reader chose."""
        ...


class LeadersOverview(Protocol):
    """The leaders' web page (the oversikt feature)."""

    async def link_message(self, t: Translator, member: Member, network: Network) -> Message:
        """A leader's private link to the page, or why there is none."""
        ...


class CalendarSource(Protocol):
    """What a feature puts in a member's calendar feed (samlinger: meetings; samsnakk: calls)."""

    async def calendar_events(
        self, member: Member, network: Network, since: datetime, t: Translator
    ) -> list[CalendarEvent]:
        """The member's events from `since` on, cancelled ones too (a subscribed calendar learns they are off)."""
        ...


class Services:
    """Every feature's service, by class, and the slots one feature fills for the others."""

    def __init__(self) -> None:
        self._all: list[object] = []
        self.mailing_list: MailingList | None = None
        self.leaders_overview: LeadersOverview | None = None
        self.calendar_sources: list[CalendarSource] = []

    def add(self, service: object) -> None:
        self._all.append(service)

    def find(self, kind: type[T]) -> T | None:
        return next((s for s in self._all if isinstance(s, kind)), None)

    def get(self, kind: type[T]) -> T:
        found = self.find(kind)
        if found is None:
            raise LookupError(f"no {kind.__name__}: is its feature turned off?")
        return found
