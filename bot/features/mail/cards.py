"""What members and leaders see of the digest by e-mail. Pure functions of data and a translator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import Translator
from bot.messages import ContextLine, Message, Part, Section, Text

if TYPE_CHECKING:
    from bot.features.mail.service import Overview
    from storage.models.mail import MailSubscription


def confirmation(t: Translator, network_name: str, link: str, code: str | None) -> Message:
    parts: list[Part] = [
        Section(t.t("Confirm that you want the weekly digest from {network}", network=network_name)),
        Text(t.t("Someone asked for the weekly digest of {network} to come to this address. To confirm, open "
                 "this link and press the button:", network=network_name)),
        Text(link),
    ]  # fmt: skip
    if code:
        parts.append(Text(t.t("Or write this in the chat: /samskap epost bekreft {code}", code=code)))
    parts.append(ContextLine(t.t("If it was not you, do nothing: without a confirmation nothing more is sent.")))
    return Message(tuple(parts), t.t("Confirm the weekly digest from {network}", network=network_name))


def own_status(t: Translator, own: MailSubscription | None) -> str:
    if own is None:
        return t.t("Get the weekly digest by e-mail with /samskap epost <address>.")
    if own.status == "confirmed":
        return t.t("The weekly digest comes to {address}. Stop it with /samskap epost av.", address=own.address)
    if own.status == "bounced":
        return t.t("E-mails to {address} came back. Give another address with /samskap epost <address>.",
                   address=own.address)  # fmt: skip
    return t.t("{address} has not confirmed yet: open the link in the e-mail, or write /samskap epost bekreft "
               "<code>.", address=own.address)  # fmt: skip


def overview(t: Translator, found: Overview) -> Message:
    fields = (
        (t.t("Confirmed"), str(found.confirmed)),
        (t.t("Waiting for confirmation"), str(found.pending)),
        (t.t("Bounced"), str(len(found.bounced))),
    )
    parts: list[Part] = [Section(t.t("The digest by e-mail"), fields)]
    if found.bounced:
        lines = [f"{row.address}: {row.last_error or ''}" for row in found.bounced]
        parts.append(Section(t.t("Came back (fix and invite again, or remove):"), ()))
        parts.append(ContextLine("\n".join(lines)))
    parts.append(ContextLine(t.t("/digest epost inviter <address> · /digest epost fjern <address>")))
    return Message(tuple(parts), t.t("The digest by e-mail"))
