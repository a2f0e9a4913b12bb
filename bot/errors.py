"""Errors a user can cause and fix: raised by feature logic, shown to the user, translated."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_

# What a member reads when what they did failed on our side (in the core, or in an adapter before
# the core was reached); the reference finds the error in the log.
APOLOGY = N_(
    "Sorry, something went wrong on my side. Nothing you wrote is lost. "
    "If it happens again, tell a network leader the reference {ref}."
)


class UserError(Exception):
    """`msgid` is an English text (translated for the user); `kwargs` fill its placeholders.

    Handlers may catch it to add context; anything not caught is answered by the core's error
    middleware with the translated text, privately, so no feature needs a try/except to be safe.
    """

    def __init__(self, msgid: str, **kwargs: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.kwargs = kwargs
