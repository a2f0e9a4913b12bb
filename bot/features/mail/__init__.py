"""The weekly digest by e-mail, with double opt-in, and what leaders see of who gets it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.mail.handlers import register
from bot.features.mail.service import MailService

if TYPE_CHECKING:
    from bot.core_api import CoreApi


def setup(bot: CoreApi) -> None:
    service = MailService(bot)
    bot.services.add(service)
    bot.services.mailing_list = service
    register(bot, service)
    # The member's row cascades away with them; an invited address is deleted by its unsubscribe link.
    bot.data_exporters["mail"] = service.export
