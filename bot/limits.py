"""How much text a member may send at once, and the one answer when it is more.

Every command and every form answer has a limit: a feature's own (a form field's `max_length`,
declared with its route) or `MAX_TEXT`. Text over the limit is never cut: the member is told the
limit and, through the core's error reply, gets the text back to shorten.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import UserError
from bot.i18n import N_

MAX_TEXT = 4000  # Discord's longest modal answer; more than any feature keeps

TOO_LONG = N_("That is {n} characters; the limit is {max}. Shorten it and send it again.")


def check_length(text: str, limit: int = MAX_TEXT) -> str:
    """`text` unchanged, or a UserError that states the limit."""
    if len(text) > limit:
        raise UserError(TOO_LONG, n=len(text), max=limit)
    return text


def check_form(values: Mapping[str, str], limits: Mapping[str, int]) -> None:
    """Every answer of a submitted form within its field's limit (MAX_TEXT for fields not named)."""
    for name, value in values.items():
        check_length(value, min(limits.get(name, MAX_TEXT), MAX_TEXT))
