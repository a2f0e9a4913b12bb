"""The weekly digest by e-mail: the SMTP adapter, attached when `[mail] host` is configured."""

from __future__ import annotations

from adapters.mail.adapter import MailAdapter, MailOptions
from bot.core import Bot
from bot.features.mail.service import MailService


def attach(bot: Bot, env: dict[str, str] | None = None) -> MailAdapter | None:
    options = MailOptions.from_config(bot.config, env)
    if not options.host:
        return None
    mail = bot.services.get(MailService)
    adapter = MailAdapter(options, bot.clock, mail.recipient, mail.bounced)
    bot.add_adapter(adapter)
    return adapter


__all__ = ["MailAdapter", "MailOptions", "attach"]
