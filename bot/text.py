"""Cleaning what members write, once, where an event enters the core.

Some characters cannot be stored or shown safely: PostgreSQL refuses NUL in text, a lone
surrogate cannot be encoded at all, other control characters and terminal (ANSI) escapes show as
garbage or rewrite a terminal, and bidi overrides make text display differently from what it is
("Trojan source"). They are removed, the same on every database, before any handler sees the
text. Newlines and tabs are kept; zero-width joiners and direction marks are kept too, because
emoji and right-to-left scripts need them. Text made only of invisible characters is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from bot.events import CommandEvent, Event, FormSubmitted, MessageEvent

# Escape sequences: CSI (ESC [ ... or the one-byte CSI), OSC (ESC ] ... BEL or ST), and the short ESC forms.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -~]?")
_NEWLINES = re.compile(r"\r\n?")
# C0 and C1 controls except tab and newline, DEL, and lone surrogates (never valid text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Embeddings, overrides and isolates; the plain marks (LRM, RLM, ALM) only affect neutral characters.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Letters that render as nothing (Hangul fillers, braille blank, Khmer inherent vowels).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")

REMOVED_KINDS = ("control", "ansi", "bidi")


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: frozenset[str]  # which of REMOVED_KINDS were found


def clean_text(text: str) -> Cleaned:
    removed: set[str] = set()
    if _ANSI.search(text):
        text, removed = _ANSI.sub("", text), removed | {"ansi"}
    text = _NEWLINES.sub("\n", text)  # a carriage return is a line break, not something to report
    if _CONTROL.search(text):
        text, removed = _CONTROL.sub("", text), removed | {"control"}
    if _BIDI.search(text):
        text, removed = _BIDI.sub("", text), removed | {"bidi"}
    return Cleaned(text, frozenset(removed))


def _visible(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "ZCM" and ch not in _BLANK_LETTERS


def is_invisible(text: str) -> bool:
    """True for text that has characters, none of which shows (spaces alone count as empty, not invisible)."""
    return bool(text.strip()) and not any(map(_visible, text))


def code_points(text: str, limit: int = 30) -> str:
    """`text` spelled out as code points, to show text that cannot be seen: "U+200B U+2060"."""
    points = [f"U+{ord(ch):04X}" for ch in text if ch not in " \n\t"]
    return " ".join(points[:limit]) + (" …" if len(points) > limit else "")


@dataclass(frozen=True)
class CleanedEvent:
    event: Event
    removed: frozenset[str]  # removed from what the member wrote (not from names or button values)
    invisible: tuple[str, ...]  # texts that had only invisible characters


def clean_event(event: Event) -> CleanedEvent:
    """The event with what the member wrote and their display name cleaned. A button's value is left
    as it came: it is the bot's own, checked where it is read, and cleaning a forged one could turn
    it into a valid one."""
    removed: set[str] = set()
    invisible: list[str] = []

    def written(text: str) -> str:
        cleaned = clean_text(text)
        removed.update(cleaned.removed)
        if is_invisible(text) or (text.strip() and not cleaned.text.strip()):
            invisible.append(text)
        return cleaned.text

    match event:
        case CommandEvent():
            event = replace(event, args=written(event.args))
        case MessageEvent():
            event = replace(event, text=written(event.text))
        case FormSubmitted():
            event = replace(event, values={key: written(value) for key, value in event.values.items()})
    name = event.user.display_name
    if name and (cleaned_name := clean_text(name).text) != name:
        event = replace(event, user=replace(event.user, display_name=cleaned_name))
    return CleanedEvent(event, frozenset(removed), tuple(invisible))
