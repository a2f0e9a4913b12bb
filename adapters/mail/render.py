"""A core `Message` as an e-mail: plain text and HTML that reads well in Outlook, Gmail and on a phone.

Pure functions. The HTML has inline styles only (Gmail drops <style> in many views, Outlook reads
tables best), no images and nothing fetched from elsewhere, so nobody is tracked opening it.
"""

from __future__ import annotations

import email.policy
import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from bot.messages import Attachment, Buttons, ContextLine, Divider, Links, Message, Part, Section, Text

_BOLD = re.compile(r"\*([^*\n]+)\*")
FONT = "font-family:Arial,Helvetica,sans-serif;"
TEXT = f"{FONT}font-size:16px;line-height:1.5;color:#1f2328;margin:0 0 12px 0;"
HEADING = f"{FONT}font-size:20px;line-height:1.3;color:#1f2328;margin:0 0 12px 0;font-weight:bold;"
SMALL = f"{FONT}font-size:13px;line-height:1.5;color:#57606a;margin:0 0 12px 0;"
LINK = "color:#0b5cad;text-decoration:underline;"
# Headers up to SMTP's line limit: folding would encode a long List-Unsubscribe URL (RFC 2047),
# and clients then find no URL in it. The bodies are quoted-printable, in short lines.
POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Envelope:
    """Who sends to whom, and the list headers of RFC 2369, 2919 and 8058."""

    sender_name: str
    sender_address: str
    to: str
    list_id: str  # "digest.network3.skole.no"
    unsubscribe_url: str | None  # None for the confirmation e-mail: nothing to leave yet
    language: str
    unsubscribe_text: str = ""  # the body's footer line
    unsubscribe_label: str = ""


def plain(text: str) -> str:
    return _BOLD.sub(r"\1", text)


def _inline(text: str) -> str:
    """Escaped, *bold* kept, and bare https links made links."""
    escaped = html.escape(text, quote=True)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return escaped.replace("\n", "<br>")


def _href(url: str) -> str | None:
    return html.escape(url, quote=True) if url.startswith(("https://", "http://")) else None


def text_body(message: Message, envelope: Envelope) -> str:
    lines: list[str] = []
    for part in message.parts:
        lines += _text_part(part)
    if envelope.unsubscribe_url:
        lines += ["", "--", envelope.unsubscribe_text, envelope.unsubscribe_url]
    return "\n".join(lines).strip() + "\n"


def _text_part(part: Part) -> list[str]:
    if isinstance(part, Section):
        return [plain(part.text), *[f"{plain(k)}: {plain(v)}" for k, v in part.fields], ""]
    if isinstance(part, Text | ContextLine):
        return [plain(part.text), ""]
    if isinstance(part, Links):
        out = []
        for link in part.links:
            out += [f"- {plain(link.title)}", f"  {link.url}"]
            out += [f"  {plain(link.description)}"] if link.description else []
        return [*out, ""]
    if isinstance(part, Divider):
        return ["----", ""]
    return []  # buttons need a chat; every button has a command the text already names


def html_body(message: Message, envelope: Envelope) -> str:
    blocks = [block for part in message.parts if (block := _html_part(part))]
    if envelope.unsubscribe_url and (href := _href(envelope.unsubscribe_url)):
        why, label = html.escape(envelope.unsubscribe_text), html.escape(envelope.unsubscribe_label)
        blocks.append(
            f'<p style="{SMALL}border-top:1px solid #d0d7de;padding-top:12px;">{why} '
            f'<a href="{href}" style="{LINK}">{label}</a></p>'
        )
    title = html.escape(plain(message.summary))
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(envelope.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="margin:0;padding:0;background:#f6f8fa;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f6f8fa;"><tr><td align="center" style="padding:16px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="max-width:600px;background:#ffffff;border:1px solid #d0d7de;">'
        f'<tr><td style="padding:24px;">{"".join(blocks)}</td></tr>'
        "</table></td></tr></table></body></html>\n"
    )


def _html_part(part: Part) -> str:
    if isinstance(part, Section):
        fields = "".join(
            f'<tr><td style="{TEXT}padding-right:12px;"><strong>{_inline(k)}</strong></td>'
            f'<td style="{TEXT}">{_inline(v)}</td></tr>'
            for k, v in part.fields
        )
        table = f'<table role="presentation" cellpadding="0" cellspacing="0" border="0">{fields}</table>'
        table = table if fields else ""
        return f'<h2 style="{HEADING}">{_inline(part.text)}</h2>{table}'
    if isinstance(part, Text):
        href = _href(part.text.strip())
        if href and " " not in part.text.strip():
            return f'<p style="{TEXT}"><a href="{href}" style="{LINK}">{html.escape(part.text.strip())}</a></p>'
        return f'<p style="{TEXT}">{_inline(part.text)}</p>'
    if isinstance(part, ContextLine):
        return f'<p style="{SMALL}">{_inline(part.text)}</p>'
    if isinstance(part, Links):
        items = []
        for link in part.links:
            href = _href(link.url)
            title = _inline(link.title)
            head = f'<a href="{href}" style="{LINK}">{title}</a>' if href else title
            more = f'<br><span style="{SMALL}">{_inline(link.description)}</span>' if link.description else ""
            items.append(f'<li style="{TEXT}">{head}{more}</li>')
        return f'<ul style="margin:0 0 12px 0;padding-left:20px;">{"".join(items)}</ul>'
    if isinstance(part, Divider):
        return '<hr style="border:0;border-top:1px solid #d0d7de;margin:16px 0;">'
    if isinstance(part, Buttons | Attachment):
        return ""
    return ""


def email_message(message: Message, envelope: Envelope, now: datetime) -> EmailMessage:
    mail = EmailMessage(policy=POLICY)
    mail["From"] = formataddr((envelope.sender_name, envelope.sender_address))
    mail["To"] = envelope.to
    mail["Subject"] = plain(message.summary) or envelope.sender_name
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=envelope.sender_address.rpartition("@")[2] or None)
    mail["List-Id"] = f"{envelope.sender_name} <{envelope.list_id}>"
    if envelope.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text_body(message, envelope), cte="quoted-printable")
    mail.add_alternative(html_body(message, envelope), subtype="html", cte="quoted-printable")
    return mail
