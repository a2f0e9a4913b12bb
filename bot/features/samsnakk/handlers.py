"""Samsnakk's table of commands, buttons and forms; the handlers are in call_handlers.py (booking
calls) and round_handlers.py (the pairing rounds). Every button has a command beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.samsnakk import cards
from bot.features.samsnakk.call_handlers import CallHandlers
from bot.features.samsnakk.common import NOTE_LIMIT, TIME_LIMIT
from bot.features.samsnakk.round_handlers import RoundHandlers
from bot.features.samsnakk.service import Samsnakk
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.core_api import CoreApi

COMMAND = "samsnakk"


def register(bot: CoreApi, samsnakk: Samsnakk) -> None:
    c, r = CallHandlers(samsnakk), bot.router
    # -- calls -------------------------------------------------------------------------------------
    r.command((COMMAND, "talk"), help=N_("Samsnakk to-og-to: book a quick talk with a colleague"),
              usage=N_("@name [@name] [time]"))(c.samsnakk)  # fmt: skip
    r.action(cards.PICK)(c.pick)
    r.action(cards.BOOK_GROUP)(c.book_group)
    r.command(COMMAND, sub=("godta", "accept"), help=N_("Accept a proposed call"), usage=N_("[#number]"))(c.accept)
    r.action(cards.ACCEPT)(c.accept)
    r.command(COMMAND, sub=("avslå", "avsla", "decline"), help=N_("Decline a proposed call"),
              usage=N_("[#number]"))(c.decline)  # fmt: skip
    r.action(cards.DECLINE)(c.decline)
    r.command(COMMAND, sub=("foreslå", "foresla", "suggest"), help=N_("Suggest another time for a call"),
              usage=N_("[#number] <time>"))(c.counter)  # fmt: skip
    r.action(cards.COUNTER)(c.counter_button)
    r.form(cards.COUNTER, limits={"time": TIME_LIMIT})(c.counter_submitted)
    r.command(COMMAND, sub=("avlys", "cancel"), help=N_("Cancel a call"), usage=N_("[#number]"))(c.cancel)
    r.action(cards.CANCEL)(c.cancel)
    r.command(COMMAND, sub=("flytt", "move"), help=N_("Move a call to another time"),
              usage=N_("[#number] <time>"))(c.move)  # fmt: skip
    r.action(cards.MOVE)(c.move_button)
    r.form(cards.MOVE, limits={"time": TIME_LIMIT})(c.move_submitted)
    r.command(COMMAND, sub=("mine", "my"), help=N_("Your booked and proposed calls"))(c.mine)
    r.command(COMMAND, sub=("nå", "na", "now"), help=N_("Ask the channel who has 15 minutes now"),
              usage=N_("[topic]"))(c.now)  # fmt: skip
    r.command(COMMAND, sub=("jeg-kan", "jegkan", "i-can"), help=N_("Take a colleague's request for a talk now"),
              usage=N_("[#number]"))(c.take)  # fmt: skip
    r.action(cards.TAKE)(c.take)

    # -- rounds ------------------------------------------------------------------------------------
    h = RoundHandlers(samsnakk)
    r.command(COMMAND, sub=("notat", "note"), help=N_("Share a one-line learning note from a talk"),
              usage=N_("<one line>"))(h.note)  # fmt: skip
    r.action(cards.NOTE)(h.note_button)
    r.form(cards.NOTE, limits={"note": NOTE_LIMIT})(h.note_submitted)
    r.command(COMMAND, sub=("snakket", "met"), help=N_("Tell whether you have had this round's talk"),
              usage=N_("yes|not-yet|skip"))(h.met)  # fmt: skip
    r.action(cards.MET)(h.met)
    r.command(COMMAND, sub=("på", "pa", "on", "bli-med", "join"), help=N_("Take part in the pairing rounds"))(h.opt_in)
    r.command(COMMAND, sub=("av", "off", "meld-av"), help=N_("Stop taking part in the pairing rounds"))(h.opt_out)
    r.command(COMMAND, sub=("pause",), help=N_("Pause samsnakk: no rounds and no bookings"))(h.pause)
    r.command(COMMAND, sub=("fortsett", "resume"), help=N_("Resume samsnakk after a pause"))(h.resume)
    r.command(COMMAND, sub=("tider", "hours"), help=N_("When you are free for a quick talk"),
              usage=N_("mon-fri 14-16"))(h.hours)  # fmt: skip
    r.command(COMMAND, sub=("unngå", "unnga", "avoid"), help=N_("Don't pair me with someone in rounds"),
              usage=N_("@name | remove @name"))(h.avoid)  # fmt: skip
    r.command(COMMAND, sub=("runde", "round"), access="leader",
              help=N_("For leaders: preview, run or skip the next pairing round; plan and stats"),
              usage=N_("[preview|run|skip|set every 2 weeks monday 09:00|prompt <text>]"))(h.round_command)  # fmt: skip
    r.action(cards.ROUND, access="leader")(h.round_button)
