"""Pure rendering of core messages as terminal text, with numbered buttons."""

from __future__ import annotations

from bot.adapter import Destination
from bot.i18n import Translator, translator
from bot.messages import Attachment, Buttons, ContextLine, Divider, Links, Message, Section, Text


def describe_destination(dest: Destination, channel_names: dict[str, str], t: Translator | None = None) -> str:
    """Who a message goes to, in a short header: the console shows what each member would see."""
    t = t or translator(None)
    conv = dest.conversation
    if dest.kind == "dm":
        return f"[DM → {dest.user.id if dest.user else '?'}]"
    if dest.kind == "ephemeral":
        return "[" + t.t("only for {name}", name=dest.user.id if dest.user else "?") + "]"
    if conv is None:
        return "[?]"
    if dest.kind == "group" or conv.id.startswith("group-"):
        where = t.t("group {names}", names=conv.id.removeprefix("group-").replace("-", " + "))
    elif conv.is_direct:
        where = f"DM → {conv.id.removeprefix('dm-')}"
    else:
        where = "#" + channel_names.get(conv.id, conv.id)
    if conv.thread_id:
        where += " › " + t.t("thread {id}", id=conv.thread_id)
    return f"[{where}]"


def render(message: Message, number_buttons: list[int], t: Translator | None = None) -> str:
    """Render `message`; `number_buttons` holds the numbers to show for its buttons, in order."""
    t = t or translator(None)
    numbers = iter(number_buttons)
    lines: list[str] = []
    for part in message.parts:
        match part:
            case Text(text=text):
                lines.append(text)
            case Section(text=text, fields=fields):
                lines.append(text)
                lines.extend(f"    {label}: {value}" for label, value in fields)
            case ContextLine(text=text):
                lines.append(f"  ({text})")
            case Buttons(buttons=buttons):
                lines.append("  " + "   ".join(f"[{next(numbers)}] {b.label}" for b in buttons))
            case Links(links=links):
                for link in links:
                    lines.append(
                        f"  • {link.title} <{link.url}>" + (f" — {link.description}" if link.description else "")
                    )
            case Divider():
                lines.append("  " + "─" * 30)
            case Attachment(filename=filename, content=content):
                # A peek, not the whole file: the point is to show that it is attached.
                content_lines = content.splitlines()
                lines.append(f"  📎 {filename} (" + t.tn("{n} line", "{n} lines", len(content_lines)) + ")")
                lines.extend("  │ " + line for line in content_lines[:3])
                if len(content_lines) > 3:
                    lines.append("  │ …")
    return "\n".join(lines)
