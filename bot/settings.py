"""Declared settings: network settings (leaders set them) and member options (opt-ins).

Features declare what they need with a default; the value is read through `get`, so a setting
nobody changed costs no row and the default lives in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import UserError
from bot.times import parse_clock
from storage.models.core import Member, Network

_TRUE = {"på", "ja", "on", "yes", "true", "1"}
_FALSE = {"av", "nei", "off", "no", "false", "0"}


class SettingError(UserError, ValueError):
    """Raised with an English msgid (translated for the user) when a value is not accepted."""


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError("Use på/av (on/off).")


def parse_int(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingError("Use a whole number from {low} to {high}.", low=low, high=high) from None
        if not low <= value <= high:
            raise SettingError("Use a whole number from {low} to {high}.", low=low, high=high)
        return value

    return parse


def parse_clock_time(raw: str) -> str:
    clock = parse_clock(raw, exact=True)
    if clock is None:
        raise SettingError("Use a time like 08:00.")
    return f"{clock:%H:%M}"


def parse_text(max_length: int = 500) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise SettingError("At most {n} characters.", n=max_length)
        return raw.strip()

    return parse


@dataclass(frozen=True)
class SettingSpec:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str  # English msgid
    # For settings that schedules follow: called after a change with the updated network (for a
    # member option, the member's network).
    on_change: Callable[[Network], Awaitable[None]] | None = None
    # The stored value in a reader's language (value, language), where it is a word: "mandag" → "Monday".
    show: Callable[[Any, str], str] | None = None


@dataclass(frozen=True)
class MemberCommand:
    """A member's setting that is more than a stored value (an e-mail address to confirm, a calendar
    link): `/samskap innstillinger <name> <args>` runs `handler` with `<args>` as `ctx.args`."""

    names: tuple[str, ...]
    handler: Callable[[Any], Awaitable[None]]
    help: str  # English msgid: how to use it, shown with the settings


class SettingsRegistry:
    def __init__(self) -> None:
        self.network: dict[str, SettingSpec] = {}
        self.member: dict[str, SettingSpec] = {}
        self.member_commands: dict[str, MemberCommand] = {}

    def declare_member_command(self, command: MemberCommand) -> None:
        for name in command.names:
            if name in self.member_commands or name in self.member:
                raise ValueError(f"member setting {name} declared twice")
            self.member_commands[name] = command

    def declare_network(self, spec: SettingSpec) -> None:
        if spec.name in self.network:
            raise ValueError(f"network setting {spec.name} declared twice")
        self.network[spec.name] = spec

    def declare_member(self, spec: SettingSpec) -> None:
        if spec.name in self.member:
            raise ValueError(f"member option {spec.name} declared twice")
        self.member[spec.name] = spec

    def network_value(self, network: Network, name: str) -> Any:
        return (network.settings or {}).get(name, self.network[name].default)

    def member_value(self, member: Member, name: str) -> Any:
        return (member.opt_ins or {}).get(name, self.member[name].default)
