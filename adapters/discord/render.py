"""Core messages and forms → Discord payloads, within Discord's limits. Pure functions, no I/O.

A core `Message` becomes one or more Discord messages: text parts in order as `content` (split at
line breaks when longer than 2,000 characters), sections with fields and links as embeds, buttons as
action rows (5 × 5 per message) and attachments as files. Anything longer than a limit is cut
with an ellipsis rather than refused, so a message always goes out.

Buttons carry their action id and value in the custom id (`a|action|value`). When that does not
fit in 100 characters, the custom id is a short key (`k|<hash>`) and the payload lists the pair
under `stash`; the adapter stores it before sending, so the button works after any restart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from bot.messages import (
    Attachment,
    Button,
    Buttons,
    ContextLine,
    Divider,
    Form,
    FormField,
    Link,
    Links,
    Message,
    Section,
)
from bot.messages import Text as TextPart

CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
MODAL_TITLE_MAX = 45
MODAL_LABEL_MAX = 45
MODAL_DESCRIPTION_MAX = 100
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_MAX = 4000
PLACEHOLDER_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_LABEL_MAX = 100

EPHEMERAL = 1 << 6
ACTION_PREFIX = "a|"
STASH_PREFIX = "k|"
FORM_PREFIX = "f|"  # a button that opens a stored form: f|<key>|<step>
MODAL_PREFIX = "m|"  # a modal of a stored form: m|<key>|<step>

_BUTTON_STYLES = {"primary": 1, "default": 2, "danger": 4}
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


@dataclass
class Payload:
    """One Discord message: the JSON body plus files and button ids to store first."""

    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    stash: dict[str, tuple[str, str]] = field(default_factory=dict)

    def body(self, *, ephemeral: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "content": self.content,
            "embeds": self.embeds,
            "components": self.components,
            "allowed_mentions": {"parse": ["users"]},
        }
        if self.files:
            data["attachments"] = [{"id": i, "filename": f.filename} for i, f in enumerate(self.files)]
        if ephemeral:
            data["flags"] = EPHEMERAL
        return data

    def is_empty(self) -> bool:
        return not (self.content or self.embeds or self.components or self.files)


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    text = text or ""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def markup(text: str) -> str:
    """Core markup (`*bold*`, `_italic_`) to Discord markdown (`**bold**`, `_italic_`)."""
    return _BOLD.sub(r"**\1**", text)


def button_custom_id(action_id: str, value: str) -> tuple[str, tuple[str, str] | None]:
    """The custom id for a button, and the (action, value) pair to store when it had to be a key."""
    direct = f"{ACTION_PREFIX}{action_id}|{value}"
    if len(direct) <= CUSTOM_ID_MAX and "|" not in action_id:
        return direct, None
    digest = hashlib.sha256(f"{action_id}\x00{value}".encode()).hexdigest()[:32]
    return f"{STASH_PREFIX}{digest}", (action_id, value)


def parse_custom_id(custom_id: str) -> tuple[str, str] | None:
    """(action_id, value) from a direct custom id; None when it is a key or something else."""
    if not custom_id.startswith(ACTION_PREFIX):
        return None
    action_id, _, value = custom_id[len(ACTION_PREFIX) :].partition("|")
    return action_id, value


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Split at line breaks (or spaces, or anywhere as a last resort) into chunks of ≤ `limit`."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            head, line = line[:cut], line[cut:].lstrip(" ")
            if current:
                chunks.append(current)
                current = ""
            chunks.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def _embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    return size + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))


def _section_embeds(section: Section) -> list[dict[str, Any]]:
    """A section with fields as embeds (25 fields each), its text heading the first, so several
    sections keep their own fields."""
    fields = [
        {
            "name": truncate(markup(label) or "\u200b", EMBED_FIELD_NAME_MAX),
            "value": truncate(markup(value) or "–", EMBED_FIELD_VALUE_MAX),
            "inline": len(value) <= 40,
        }
        for label, value in section.fields
    ]
    embeds: list[dict[str, Any]] = []
    for start in range(0, len(fields), EMBED_FIELDS_MAX):
        embed: dict[str, Any] = {"fields": fields[start : start + EMBED_FIELDS_MAX]}
        if start == 0 and section.text:
            embed = {"description": truncate(markup(section.text), EMBED_DESCRIPTION_MAX), **embed}
        while _embed_size(embed) > EMBED_TOTAL_MAX and len(embed["fields"]) > 1:
            embed["fields"].pop()
        embeds.append(embed)
    return embeds


def _link_embed(link: Link) -> dict[str, Any]:
    embed: dict[str, Any] = {"title": truncate(link.title or link.url, EMBED_TITLE_MAX)}
    if link.url.startswith(("http://", "https://")):
        embed["url"] = link.url
    description = link.description if embed.get("url") else f"{link.url}\n{link.description}".strip()
    if description:
        embed["description"] = truncate(markup(description), EMBED_DESCRIPTION_MAX)
    return embed


def _button(button: Button, used: set[str], stash: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    custom_id, stored = button_custom_id(button.action_id, button.value)
    if custom_id in used:  # Discord refuses two equal ids in one message; the second does the same anyway
        return None
    used.add(custom_id)
    if stored is not None:
        stash[custom_id] = stored
    return {
        "type": 2,
        "style": _BUTTON_STYLES.get(button.style, 2),
        "label": truncate(button.label, BUTTON_LABEL_MAX) or "…",
        "custom_id": custom_id,
    }


def render_message(message: Message) -> list[Payload]:
    """Render a core message as one or more Discord messages, each within every limit."""
    lines: list[str] = []
    embeds: list[dict[str, Any]] = []
    buttons: list[Button] = []
    files: list[Attachment] = []
    for part in message.parts:
        match part:
            case TextPart(text=text):
                lines.append(markup(text))
            case ContextLine(text=text):
                lines.extend(f"-# {markup(line)}" for line in text.split("\n") if line.strip())
            case Section(text=text, fields=fields):
                if fields:
                    embeds.extend(_section_embeds(part))
                elif text:
                    lines.append(markup(text))
            case Links(links=links):
                embeds.extend(_link_embed(link) for link in links)
            case Divider():
                lines.append("───")
            case Buttons(buttons=more):
                buttons.extend(more)
            case Attachment():
                files.append(part)
    content = "\n".join(lines).strip() or (message.summary if not (embeds or buttons or files) else "")
    payloads = [Payload(content=chunk) for chunk in split_text(content)] or [Payload()]
    _place_embeds(payloads, embeds)
    _place_buttons(payloads, buttons)
    payloads[0].files = files
    return [p for p in payloads if not p.is_empty()] or [Payload(content="\u200b")]


def _place_embeds(payloads: list[Payload], embeds: list[dict[str, Any]]) -> None:
    target = payloads[-1]
    for embed in embeds:
        total = sum(_embed_size(e) for e in target.embeds)
        if len(target.embeds) >= EMBEDS_PER_MESSAGE or total + _embed_size(embed) > EMBED_TOTAL_MAX:
            target = Payload()
            payloads.append(target)
        target.embeds.append(embed)


def _place_buttons(payloads: list[Payload], buttons: list[Button]) -> None:
    target = payloads[-1]
    used: set[str] = set()
    row: list[dict[str, Any]] = []
    for button in buttons:
        rendered = _button(button, used, target.stash)
        if rendered is None:
            continue
        row.append(rendered)
        if len(row) == BUTTONS_PER_ROW:
            target.components.append({"type": 1, "components": row})
            row = []
            if len(target.components) == ROWS_PER_MESSAGE:
                target = Payload()
                payloads.append(target)
    if row:
        target.components.append({"type": 1, "components": row})


# -- forms ------------------------------------------------------------------------------------


def form_steps(form: Form) -> list[tuple[FormField, ...]]:
    """The form's fields in modal-sized steps (a modal holds five components; the notice is one)."""
    per_step = MODAL_COMPONENTS_MAX - (1 if form.notice else 0)
    fields = form.fields or ()
    return [fields[i : i + per_step] for i in range(0, len(fields), per_step)] or [()]


def render_modal(form: Form, custom_id: str, step: int, step_count: int) -> dict[str, Any]:
    """One step of `form` as a modal: each field in a label, choices as a select when they fit."""
    title = form.title if step_count == 1 else f"{form.title} ({step + 1}/{step_count})"
    if len(title) > MODAL_TITLE_MAX and step_count > 1:
        suffix = f" ({step + 1}/{step_count})"
        title = truncate(form.title, MODAL_TITLE_MAX - len(suffix)) + suffix
    components: list[dict[str, Any]] = []
    if form.notice:
        components.append({"type": 10, "content": truncate(markup(form.notice), CONTENT_MAX)})
    for form_field in form_steps(form)[step]:
        components.append(_labelled_input(form_field))
    return {"custom_id": custom_id, "title": truncate(title, MODAL_TITLE_MAX) or "samskap", "components": components}


def _labelled_input(form_field: FormField) -> dict[str, Any]:
    label = truncate(form_field.label, MODAL_LABEL_MAX) or form_field.name[:MODAL_LABEL_MAX]
    # A label cut short is shown whole in the description, beside any hint.
    description = " — ".join(
        text for text in (form_field.label if label != form_field.label else "", form_field.hint) if text
    )
    wrapper: dict[str, Any] = {"type": 18, "label": label}
    if description:
        wrapper["description"] = truncate(description, MODAL_DESCRIPTION_MAX)
    if form_field.kind == "choice" and 0 < len(form_field.choices) <= SELECT_OPTIONS_MAX:
        options = [
            {"label": truncate(text or value, SELECT_LABEL_MAX), "value": value[:SELECT_LABEL_MAX],
             **({"default": True} if value == form_field.initial else {})}
            for value, text in form_field.choices
        ]  # fmt: skip
        wrapper["component"] = {
            "type": 3, "custom_id": form_field.name[:CUSTOM_ID_MAX], "options": options,
            "min_values": 1 if form_field.required else 0, "max_values": 1, "required": form_field.required,
        }  # fmt: skip
        return wrapper
    text_input: dict[str, Any] = {
        "type": 4,
        "custom_id": form_field.name[:CUSTOM_ID_MAX],
        "style": 2 if form_field.kind == "long_text" else 1,
        "required": form_field.required,
        "max_length": max(1, min(form_field.max_length, TEXT_INPUT_MAX)),
    }
    placeholder = form_field.hint if not description else ""
    if form_field.kind == "choice":  # too many choices for a select: say which values are allowed
        placeholder = ", ".join(value for value, _ in form_field.choices)
    if placeholder:
        text_input["placeholder"] = truncate(placeholder, PLACEHOLDER_MAX)
    if form_field.initial:
        text_input["value"] = form_field.initial[:TEXT_INPUT_MAX]
    wrapper["component"] = text_input
    return wrapper


def modal_values(components: list[dict[str, Any]]) -> dict[str, str]:
    """The submitted values by field name, from labels, action rows or bare inputs."""
    values: dict[str, str] = {}
    for component in components:
        if "component" in component:
            values.update(modal_values([component["component"]]))
        elif "components" in component:
            values.update(modal_values(component["components"]))
        elif "custom_id" in component:
            if "values" in component:
                values[component["custom_id"]] = ",".join(component["values"])
            else:
                values[component["custom_id"]] = component.get("value") or ""
    return values
