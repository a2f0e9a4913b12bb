"""Core messages and forms → Bot Framework activities with Adaptive Cards. Pure functions, no I/O.

A message with only text goes out as Teams markdown; anything richer becomes one Adaptive Card:
text parts as text blocks, sections with a fact set, links as markdown links, buttons as
`Action.Submit` whose data carries the action id and value back (`{"samskap": id, "value": v}`).
A form is a card of inputs whose submit button names the stored form (`{"samskap_form": key}`).
"""

from __future__ import annotations

import re
from typing import Any

from bot.messages import Attachment, Button, Buttons, ContextLine, Divider, Form, FormField, Links, Message, Section
from bot.messages import Text as TextPart

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
ACTION_KEY = "samskap"
FORM_KEY = "samskap_form"
# Teams refuses a message over about 28 KB: a longer one goes out in parts of at most this much text
# each (bokmål letters take two bytes), split between paragraphs or lines where it can be.
CARD_TEXT_MAX = 12_000
TITLE_MAX = 100

_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STYLES = {"primary": "positive", "danger": "destructive", "default": "default"}


def markdown(text: str) -> str:
    """The core's `*bold*` is Teams' `**bold**`; `_italic_` is the same in both."""
    return _BOLD.sub(r"**\1**", text)


def render_message(message: Message) -> dict[str, Any]:
    """The activity for a message that fits in one (the first part of one that does not)."""
    return render_parts(message)[0]


def render_parts(message: Message) -> list[dict[str, Any]]:
    """The activities (as JSON) for a message: plain markdown, or Adaptive Cards; more than one when
    the text is longer than Teams takes in one message. Nothing is cut."""
    summary = message.summary or message.plain_text()[:200]
    if all(isinstance(part, TextPart) for part in message.parts):
        text = "\n\n".join(markdown(part.text) for part in message.parts if isinstance(part, TextPart))
        return [{"type": "message", "text": chunk, "textFormat": "markdown"} for chunk in split_text(text)]
    return [card_activity(_card(body), summary) for body in _bodies(message)]


def split_text(text: str, limit: int = CARD_TEXT_MAX) -> list[str]:
    """`text` in pieces of at most `limit` characters, broken between paragraphs, lines or words."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text]


def card_activity(card: dict[str, Any], summary: str = "") -> dict[str, Any]:
    activity: dict[str, Any] = {"type": "message", "attachments": [{"contentType": CARD_TYPE, "content": card}]}
    if summary:
        activity["summary"] = summary[:200]
    return activity


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "version": CARD_VERSION, "body": body,
                            "msteams": {"width": "Full"}}  # fmt: skip
    if actions:
        card["actions"] = actions
    return card


def _bodies(message: Message) -> list[list[dict[str, Any]]]:
    """The card bodies for a message: its elements in order, a new card when the text would pass the limit."""
    bodies: list[list[dict[str, Any]]] = [[]]
    separate = False
    budget = CARD_TEXT_MAX
    for part in message.parts:
        if isinstance(part, Divider):
            separate = True
            continue
        for element in _elements(part):
            for piece in _pieces(element):
                size = len(piece.get("text", ""))
                if size > budget and bodies[-1]:
                    bodies.append([])
                    budget = CARD_TEXT_MAX
                budget -= size
                if separate:
                    piece["separator"], separate = True, False
                bodies[-1].append(piece)
    return bodies


def _pieces(element: dict[str, Any]) -> list[dict[str, Any]]:
    text = element.get("text", "")
    if len(text) <= CARD_TEXT_MAX:
        return [element]
    return [{**element, "text": chunk} for chunk in split_text(text)]


def _elements(part: Any) -> list[dict[str, Any]]:
    match part:
        case TextPart(text=text):
            return [_text(markdown(text))]
        case Section(text=text, fields=fields):
            elements = [_text(markdown(text), weight="Bolder")]
            if fields:
                facts = [{"title": label, "value": markdown(value)} for label, value in fields]
                elements.append({"type": "FactSet", "facts": facts})
            return elements
        case Buttons(buttons=buttons):
            return [{"type": "ActionSet", "actions": [_button(b) for b in buttons]}]
        case Links(links=links):
            lines = [_link_line(link.title, link.url, link.description) for link in links]
            return [_text("\n".join(lines))]
        case ContextLine(text=text):
            return [_text(markdown(text), isSubtle=True, size="Small")]
        case Attachment(filename=filename):
            return [_text(f"📎 {filename}", isSubtle=True)]
    return []


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _button(button: Button) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": button.label[:TITLE_MAX],
        "style": _STYLES.get(button.style, "default"),
        "data": {ACTION_KEY: button.action_id, "value": button.value},
    }


def _link_line(title: str, url: str, description: str) -> str:
    title = title.replace("[", "(").replace("]", ")")
    return f"- [{title}]({url})" + (f" — {description}" if description else "")


# -- forms ----------------------------------------------------------------------------------------
def render_form(form: Form, key: str, submit_label: str) -> dict[str, Any]:
    """A card with the form's fields as inputs; its owner sends it with one button."""
    body: list[dict[str, Any]] = [_text(form.title, weight="Bolder", size="Medium")]
    if form.notice:
        body.append(_text(markdown(form.notice), color="Attention"))
    body += [_input(f) for f in form.fields]
    submit = {"type": "Action.Submit", "title": (form.submit_label or submit_label)[:TITLE_MAX],
              "style": "positive", "data": {FORM_KEY: key}}  # fmt: skip
    return card_activity(_card(body, [submit]), form.title)


def _input(field: FormField) -> dict[str, Any]:
    common: dict[str, Any] = {"id": field.name, "label": field.label, "isRequired": field.required}
    if field.required:
        common["errorMessage"] = field.label
    if field.kind == "choice":
        choices = [{"title": label, "value": value} for value, label in field.choices]
        return {"type": "Input.ChoiceSet", **common, "choices": choices, "style": "compact",
                **({"value": field.initial} if field.initial else {})}  # fmt: skip
    if field.kind == "number":
        number: dict[str, Any] = {"type": "Input.Number", **common}
        if field.hint:
            number["placeholder"] = field.hint
        if field.initial.strip().lstrip("-").isdigit():  # the card wants a number here, not text
            number["value"] = int(field.initial)
        return number
    text_input: dict[str, Any] = {"type": "Input.Text", **common, "maxLength": field.max_length,
                                  "isMultiline": field.kind == "long_text"}  # fmt: skip
    if field.hint:
        text_input["placeholder"] = field.hint
    if field.initial:
        text_input["value"] = field.initial
    return text_input


def form_values(form: Form, data: dict[str, Any]) -> dict[str, str]:
    """The answers in a card's submit data, for the form's fields only, as text."""
    values: dict[str, str] = {}
    for field in form.fields:
        raw = data.get(field.name, "")
        values[field.name] = "" if raw is None else str(raw).strip()
    return values


def sent_form(form: Form, text: str) -> dict[str, Any]:
    """What a sent form's card becomes: its title and a line saying it was sent (no answers)."""
    return card_activity(_card([_text(form.title, weight="Bolder"), _text(text, isSubtle=True)]), form.title)
