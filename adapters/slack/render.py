"""Core messages and forms → Slack Block Kit payloads. Pure functions: no I/O, no clock.

Slack rejects a whole message when one block breaks a limit (`invalid_blocks`), so every limit
is enforced here: long texts are split over several sections, a message with too many blocks
becomes several messages, labels are shortened with an ellipsis. Nothing a feature sends is
dropped silently except a button whose value cannot fit (its command equivalent still works).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.events import Conversation
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
    Part,
    Section,
    Text,
)

log = logging.getLogger(__name__)

MAX_BLOCKS = 50  # per message
MAX_VIEW_BLOCKS = 100  # per modal or App Home view
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_ACTIONS = 25  # elements in one actions block
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 3000
MAX_VIEW_TITLE = 24
MAX_INPUT_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LENGTH = 3000

# Slack wants action ids unique within a block; repeated ones get "~<n>" and lose it on the way in.
_DUPLICATE_SUFFIX = re.compile(r"~\d+$")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Rendered:
    """One core message as Slack sends it: one or more `chat.postMessage` payloads, and files."""

    payloads: tuple[dict[str, Any], ...]
    files: tuple[Attachment, ...] = ()


def escape(text: str) -> str:
    """Slack's three control characters; this also keeps user text from pinging @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split at paragraph, line or word boundaries into pieces of at most `limit` characters."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        # Never cut an escape like "&amp;" in two.
        amp = window.rfind("&", max(0, cut - 5), cut)
        if amp != -1 and ";" not in window[amp:cut]:
            cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def original_action_id(action_id: str) -> str:
    return _DUPLICATE_SUFFIX.sub("", action_id)


# -- messages ---------------------------------------------------------------------------------
def render_message(message: Message) -> Rendered:
    blocks: list[dict[str, Any]] = []
    files: list[Attachment] = []
    for part in message.parts:
        if isinstance(part, Attachment):
            files.append(part)
        else:
            blocks.extend(_blocks_for(part))
    fallback = _fallback(message)
    chunks = [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]
    if not chunks and not files:
        chunks = [[]]
    return Rendered(tuple({"text": fallback, "blocks": chunk} for chunk in chunks), tuple(files))


def render_single(message: Message, max_blocks: int = MAX_BLOCKS) -> dict[str, Any]:
    """One payload whatever the size (for views): extra blocks give way to a note."""
    blocks = [b for part in message.parts if not isinstance(part, Attachment) for b in _blocks_for(part)]
    return {"text": _fallback(message), "blocks": _fit(blocks, max_blocks)}


def render_update(message: Message, messages: int) -> list[dict[str, Any]]:
    """Payloads that replace a message sent as `messages` Slack messages: at most that many (an
    update cannot add messages in between), the last ending in a note if the rest does not fit."""
    payloads = list(render_message(message).payloads) or [render_single(message)]
    if len(payloads) <= messages:
        return payloads
    overflow = [block for payload in payloads[messages - 1 :] for block in payload["blocks"]]
    return [*payloads[: messages - 1], {"text": _fallback(message), "blocks": _fit(overflow, MAX_BLOCKS)}]


def _fit(blocks: list[dict[str, Any]], max_blocks: int) -> list[dict[str, Any]]:
    return blocks if len(blocks) <= max_blocks else [*blocks[: max_blocks - 1], _context_block(ELLIPSIS)]


def _fallback(message: Message) -> str:
    return truncate(message.summary or message.plain_text() or " ", MAX_FALLBACK_TEXT)


def _blocks_for(part: Part) -> list[dict[str, Any]]:
    match part:
        case Text(text=text):
            return [_section(piece) for piece in split_text(escape(text))]
        case Section(text=text, fields=fields):
            return _section_with_fields(text, fields)
        case Buttons(buttons=buttons):
            return _actions(buttons)
        case Links(links=links):
            return [_section(piece) for piece in split_text("\n".join(_link_line(link) for link in links))]
        case Divider():
            return [{"type": "divider"}]
        case ContextLine(text=text):
            return [_context_block(piece) for piece in split_text(escape(text))]
    return []


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def _context_block(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text or " "}]}


def _section_with_fields(text: str, fields: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    pieces = split_text(escape(text)) if text else []
    blocks = [_section(piece) for piece in pieces]
    rendered = [
        {"type": "mrkdwn", "text": truncate(f"*{escape(label)}*\n{escape(value)}", MAX_FIELD_TEXT)}
        for label, value in fields
    ]
    for start in range(0, len(rendered), MAX_FIELDS):
        group = rendered[start : start + MAX_FIELDS]
        if start == 0 and blocks:
            blocks[-1]["fields"] = group
        else:
            blocks.append({"type": "section", "fields": group})
    return blocks or [_section(" ")]


def _link_line(link: Link) -> str:
    title = escape(link.title).replace("|", "¦") or escape(link.url)
    url = link.url.replace(" ", "%20").replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    line = f"• <{url}|{title}>" if url.startswith(("http://", "https://", "mailto:")) else f"• {title} {escape(url)}"
    return f"{line} — {escape(link.description)}" if link.description else line


def _actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for button in buttons:
        if len(button.value) > MAX_BUTTON_VALUE or len(button.action_id) > MAX_ACTION_ID - 4:
            log.warning("button %s left out: its value or action id is longer than Slack allows", button.action_id)
            continue
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": truncate(button.label, MAX_BUTTON_LABEL) or " ", "emoji": True},
            "action_id": button.action_id,
        }
        if button.value:
            element["value"] = button.value
        if button.style in ("primary", "danger"):
            element["style"] = button.style
        elements.append(element)
    blocks = []
    for start in range(0, len(elements), MAX_ACTIONS):
        group = elements[start : start + MAX_ACTIONS]
        seen: dict[str, int] = {}
        for element in group:
            count = seen.get(element["action_id"], 0)
            seen[element["action_id"]] = count + 1
            if count:
                element["action_id"] = f"{element['action_id']}~{count}"
        blocks.append({"type": "actions", "elements": group})
    return blocks


# -- views ------------------------------------------------------------------------------------
def render_home(message: Message) -> dict[str, Any]:
    return {"type": "home", "blocks": render_single(message, MAX_VIEW_BLOCKS)["blocks"]}


def form_metadata(form: Form, conversation: Conversation | None) -> str:
    """What must come back with the submission: the form's state and where it was opened."""
    data: dict[str, Any] = {"s": form.state}
    if conversation is not None:
        data["c"] = [conversation.id, conversation.thread_id, conversation.is_direct]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_PRIVATE_METADATA:
        # The state matters more than where the form was opened (replies then go by DM).
        text = json.dumps({"s": form.state}, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_PRIVATE_METADATA:
        raise ValueError(f"the state of form {form.form_id} is longer than Slack can carry")
    return text


def read_form_metadata(text: str) -> tuple[str, tuple[str, str | None, bool] | None]:
    """(state, (channel id, thread id, is direct) or None) from `private_metadata`."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return text, None
    if not isinstance(data, dict):
        return text, None
    where = data.get("c")
    place = (str(where[0]), where[1], bool(where[2])) if isinstance(where, list) and len(where) == 3 else None
    return str(data.get("s", "")), place


def render_form(
    form: Form, *, conversation: Conversation | None, submit_label: str, close_label: str
) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if form.notice:
        blocks.extend(_section(piece) for piece in split_text(escape(form.notice)))
    blocks.extend(_input(f) for f in form.fields)
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "title": _plain(truncate(form.title, MAX_VIEW_TITLE)),
        "submit": _plain(truncate(form.submit_label or submit_label, MAX_VIEW_TITLE)),
        "close": _plain(truncate(close_label, MAX_VIEW_TITLE)),
        "private_metadata": form_metadata(form, conversation),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def _input(field: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    if field.kind == "choice":
        options = [
            {"text": _plain(truncate(label, MAX_OPTION_TEXT)), "value": value[:MAX_OPTION_VALUE]}
            for value, label in field.choices[:MAX_OPTIONS]
        ]
        element = {"type": "static_select", "action_id": "value", "options": options}
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial is not None:
            element["initial_option"] = initial
    elif field.kind == "number":
        element = {"type": "number_input", "action_id": "value", "is_decimal_allowed": False}
        if field.initial:
            element["initial_value"] = field.initial
        if field.min_value is not None:
            element["min_value"] = str(field.min_value)
        if field.max_value is not None:
            element["max_value"] = str(field.max_value)
    else:
        max_length = max(1, min(field.max_length, MAX_INPUT_LENGTH))
        element = {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": field.kind == "long_text",
            "max_length": max_length,
        }
        if field.initial:
            element["initial_value"] = field.initial[:max_length]
    if field.hint and field.kind != "number":
        element["placeholder"] = _plain(truncate(field.hint, MAX_PLACEHOLDER))
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(truncate(field.label, MAX_INPUT_LABEL)),
        "optional": not field.required,
        "element": element,
    }
    if field.hint and field.kind == "number":
        block["hint"] = _plain(truncate(field.hint, MAX_INPUT_LABEL))
    return block


def read_form_values(state_values: dict[str, Any]) -> dict[str, str]:
    """`view.state.values` → {field name: text} ("" for an optional field left empty)."""
    values: dict[str, str] = {}
    for block_id, actions in state_values.items():
        element = actions.get("value") if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        if element.get("type") == "static_select":
            selected = element.get("selected_option") or {}
            values[block_id] = str(selected.get("value") or "")
        else:
            values[block_id] = str(element.get("value") or "")
    return values
