"""The closed set of outbound message parts every adapter renders natively.

Messages are plain frozen values and round-trip through JSON, so the delivery outbox can keep
a message that could not be sent yet and send it later, once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

ButtonStyle = Literal["default", "primary", "danger"]


@dataclass(frozen=True)
class Text:
    """A paragraph. `*bold*` and `_italic_` are the only markup; adapters translate them."""

    text: str


@dataclass(frozen=True)
class Section:
    """A heading-like text with label/value fields beside it."""

    text: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: ButtonStyle = "default"


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class Links:
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class ContextLine:
    """A small, muted line: who, when, hints."""

    text: str


@dataclass(frozen=True)
class Attachment:
    """A small text file sent with the message (an .ics invitation)."""

    filename: str
    content: str
    mime_type: str = "text/plain"


Part = Text | Section | Buttons | Links | Divider | ContextLine | Attachment

_PART_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (Text, Section, Buttons, Links, Divider, ContextLine, Attachment)
}
# Messages waiting in the outbox since before the rename keep their old name.
_PART_TYPES["Context"] = ContextLine


@dataclass(frozen=True)
class Message:
    parts: tuple[Part, ...]
    # A short plain-text fallback for notifications and platforms that cannot render parts.
    summary: str = ""

    @staticmethod
    def of(*parts: Part, summary: str = "") -> Message:
        return Message(tuple(parts), summary)

    @staticmethod
    def text(text: str) -> Message:
        return Message((Text(text),), text)

    def plain_text(self) -> str:
        return render_plain(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "parts": [{"type": type(p).__name__, **asdict(p)} for p in self.parts],
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Message:
        parts: list[Part] = []
        for raw in data["parts"]:
            raw = dict(raw)
            cls = _PART_TYPES[raw.pop("type")]
            if cls is Buttons:
                parts.append(Buttons(tuple(Button(**b) for b in raw["buttons"])))
            elif cls is Links:
                parts.append(Links(tuple(Link(**lk) for lk in raw["links"])))
            elif cls is Section:
                parts.append(Section(raw["text"], tuple(tuple(f) for f in raw["fields"])))  # type: ignore[misc]
            else:
                parts.append(cls(**raw))
        return Message(tuple(parts), data.get("summary", ""))


def render_plain(message: Message) -> str:
    """A readable plain-text rendering (console, notifications, fallbacks)."""
    lines: list[str] = []
    for part in message.parts:
        match part:
            case Text(text=text) | ContextLine(text=text):
                lines.append(text)
            case Section(text=text, fields=fields):
                lines.append(text)
                lines.extend(f"  {label}: {value}" for label, value in fields)
            case Buttons(buttons=buttons):
                lines.append("  ".join(f"[{b.label}]" for b in buttons))
            case Links(links=links):
                for link in links:
                    desc = f" — {link.description}" if link.description else ""
                    lines.append(f"• {link.title} <{link.url}>{desc}")
            case Divider():
                lines.append("—" * 20)
            case Attachment(filename=filename):
                lines.append(f"📎 {filename}")
    return "\n".join(lines)


FieldKind = Literal["text", "long_text", "choice", "number"]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    max_length: int = 3000
    hint: str = ""
    initial: str = ""
    # (value, label) pairs for kind == "choice"
    choices: tuple[tuple[str, str], ...] = ()
    # For kind == "number": the whole numbers allowed, checked as the field is filled in where the
    # platform can (so a wrong number does not cost the whole form); the feature checks again.
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class Form:
    """A form (Slack modal, Discord modal, console questions). `state` travels back untouched."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = ""
    state: str = ""
    notice: str = ""
