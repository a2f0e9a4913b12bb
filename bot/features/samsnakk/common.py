"""What rounds and calls share: the feature's settings and how they are read, time zones, limits and
the feature's error type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.features.samsnakk.availability import DEFAULT_HOURS, HoursError, Window, parse_available_hours, parse_hours
from bot.i18n import N_, Translator
from bot.settings import SettingError, SettingSpec, parse_bool, parse_clock_time, parse_int, parse_text
from bot.times import WEEKDAYS, find_zone, weekday_name
from storage.models.core import Member, Network

if TYPE_CHECKING:
    from bot.core_api import CoreApi

DEFAULT_VIDEO_BASE = "https://meet.jit.si/"
DEFAULT_MINUTES = 15
RECENT_ROUNDS = 6
# The longest learning note (one line), topic of a quick call, and time written in a form.
NOTE_LIMIT = 280
TOPIC_LIMIT = 200
TIME_LIMIT = 60
PROMPT_LIMIT = 500
DEFAULT_PROMPT = N_("What have you tried since last time? What do you want to take back to your own school?")
WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

# Member options
OPT_IN = "samsnakk"
PAUSED = "samsnakk_pause"
HOURS = "samsnakk_tider"
TIMEZONE = "tidssone"
# Network settings
EVERY_WEEKS = "samsnakk_uker"
WEEKDAY = "samsnakk_dag"
HOUR = "samsnakk_kl"
PROMPT = "samsnakk_refleksjon"
VIDEO = "samsnakk_video"


class SamsnakkError(UserError):
    """A mistake the user can fix: an English msgid and its values, translated for them by the core."""


def parse_weekday(raw: str) -> str:
    day = WEEKDAYS.get(raw.strip().lower().rstrip("."))
    if day is None:
        raise SettingError("Use a weekday, like mandag or monday.")
    return WEEKDAY_NAMES[day]


def show_weekday(value: str, language: str) -> str:
    """The stored weekday ("mandag") as the reader writes it: "Monday", "måndag"."""
    return weekday_name(WEEKDAYS[value], language)


def parse_video_base(raw: str) -> str:
    value = raw.strip()
    if value and not (value.startswith("https://") and len(value) <= 200 and " " not in value):
        raise SettingError("Use an https:// address, like https://meet.jit.si/")
    return value


def parse_timezone(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    if find_zone(value) is None:
        raise SettingError("Unknown time zone {tz}; use a name like Europe/Oslo.", tz=value)
    return value


def declare_settings(bot: CoreApi, plan_changed: Callable[[Network], Awaitable[None]]) -> None:
    """The member options and network settings; `plan_changed` follows every change that decides
    when (and whether) the next round starts: the plan's weeks, weekday and hour, and who opts in."""
    s = bot.settings
    s.declare_member(
        SettingSpec(OPT_IN, False, parse_bool, N_("Be paired for samsnakk to-og-to rounds"), on_change=plan_changed)
    )
    s.declare_member(SettingSpec(PAUSED, False, parse_bool, N_("Pause samsnakk: no rounds and no bookings")))
    s.declare_member(
        SettingSpec(HOURS, "", parse_available_hours, N_("When you are free for a quick talk, e.g. man-fre 14-16"))
    )
    if TIMEZONE not in s.member:  # another feature may have declared the member's time zone already
        s.declare_member(SettingSpec(TIMEZONE, "", parse_timezone, N_("Your time zone, if not the network's")))
    s.declare_network(
        SettingSpec(
            EVERY_WEEKS,
            2,
            parse_int(0, 12),
            N_("Samsnakk rounds every N weeks (0 = no automatic rounds)"),
            on_change=plan_changed,
        )
    )
    s.declare_network(
        SettingSpec(
            WEEKDAY,
            "mandag",
            parse_weekday,
            N_("The weekday samsnakk rounds start"),
            on_change=plan_changed,
            show=show_weekday,
        )
    )
    s.declare_network(
        SettingSpec(HOUR, "09:00", parse_clock_time, N_("The hour samsnakk rounds start"), on_change=plan_changed)
    )
    s.declare_network(
        SettingSpec(PROMPT, "", parse_text(PROMPT_LIMIT), N_("The reflection prompt for samsnakk rounds"))
    )
    s.declare_network(SettingSpec(VIDEO, "", parse_video_base, N_("The video meeting address for calls (Jitsi)")))


@dataclass(frozen=True)
class RoundPlan:
    every_weeks: int
    weekday: int
    hour: int
    minute: int
    timezone: ZoneInfo


def round_plan(bot: CoreApi, network: Network) -> RoundPlan:
    value = bot.settings.network_value
    hour, minute = (int(x) for x in str(value(network, HOUR)).split(":"))
    return RoundPlan(
        every_weeks=int(value(network, EVERY_WEEKS)),
        weekday=WEEKDAY_NAMES.index(value(network, WEEKDAY)) if value(network, WEEKDAY) in WEEKDAY_NAMES else 0,
        hour=hour,
        minute=minute,
        timezone=network_tz(network),
    )


def network_tz(network: Network) -> ZoneInfo:
    return find_zone(network.timezone) or ZoneInfo("Europe/Oslo")


def member_tz(member: Member, network: Network) -> ZoneInfo:
    """The member's own time zone (a member option), or the network's."""
    own = (member.opt_ins or {}).get(TIMEZONE) or ""
    return find_zone(own) or network_tz(network)


def member_hours(member: Member) -> list[Window]:
    text = (member.opt_ins or {}).get(HOURS) or DEFAULT_HOURS
    try:
        return parse_hours(text)
    except HoursError:
        return parse_hours(DEFAULT_HOURS)


def is_paused(bot: CoreApi, member: Member) -> bool:
    return bool(bot.settings.member_value(member, PAUSED))


def is_opted_in(bot: CoreApi, member: Member) -> bool:
    return bool(bot.settings.member_value(member, OPT_IN)) and not is_paused(bot, member)


def prompt_text(bot: CoreApi, network: Network, t: Translator) -> str:
    return str(bot.settings.network_value(network, PROMPT) or "") or t.t(DEFAULT_PROMPT)


def video_base(bot: CoreApi, network: Network) -> str:
    base = bot.settings.network_value(network, VIDEO) or bot.config.section("samsnakk").get("video_base_url")
    base = str(base or DEFAULT_VIDEO_BASE)
    return base if base.endswith("/") else base + "/"
