"""Samsnakk to-og-to through the in-memory chat: rounds, booking, "nå", cancel/move and the edge cases.

The fake clock starts on Monday 7 September 2026 at 08:00 UTC (10:00 in Oslo).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from adapters.memory import Chat
from bot.messages import Attachment
from storage.repositories.core import Members, Notes
from tests.support import dms_to, group_posts

SCHOOLS = {"kari": "Nordby skole", "ola": "Sørby skole", "per": "Vestby skole", "lise": "Nordby skole"}


async def four_taking_part(chat: Chat) -> None:
    await chat.say("lise", "/samskap bli-med Nordby skole")
    for name in ("kari", "ola", "per", "lise"):
        await chat.say(name, "/samsnakk på")


async def booked(chat: Chat, line: str = "/samsnakk @ola i morgen 14") -> None:
    await chat.say("kari", line)
    await chat.click("ola", "Godta")


# -- rounds --------------------------------------------------------------------------------------------
async def test_round_pairs_across_schools_checks_in_halfway_and_collects_notes(network_chat: Chat) -> None:
    chat = network_chat
    await four_taking_part(chat)

    replies = await chat.say("kari", "/samsnakk runde kjør")

    assert "Runde 1 har startet: 4 satt sammen" in replies[-1].text
    assert len(chat.adapter.groups) == 2
    for users in chat.adapter.groups.values():
        assert len({SCHOOLS[u.id] for u in users}) == 2, "a pair from the same school"
    intros = group_posts(chat, "Samsnakk to-og-to, runde 1")
    assert len(intros) == 2
    assert "Hva har du prøvd siden sist? Hva vil du ta med tilbake til egen skole?" in intros[0].text
    assert "Nordby skole, nettverksleder" in " ".join(i.text for i in intros)
    assert all(any(b.label == "Book en tid" for b in i.buttons) for i in intros)

    await chat.advance(timedelta(days=7))
    checkins = group_posts(chat, "Har dere fått snakket?")
    assert len(checkins) == 2
    ola_checkin = next(s for s in checkins if s.conversation and "ola" in s.conversation.id)
    answer = await chat.click("ola", "Ja", sent=ola_checkin)
    assert "Så bra!" in answer[-1].text

    await chat.advance(timedelta(days=6))
    assert len(dms_to(chat, "ola", "Runde 1 av samsnakk to-og-to er over")) == 1
    await chat.click("ola", "Del et læringsnotat")
    thanks = await chat.submit("ola", {"note": "Faste voksne ved vennskapsbenken gjør en forskjell"})
    assert "Takk!" in thanks[-1].text
    async with chat.bot.db.session() as s:
        notes = await Notes(s).between(1, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [(n.source, n.text) for n in notes] == [("samsnakk", "Faste voksne ved vennskapsbenken gjør en forskjell")]

    overview = await chat.say("kari", "/samsnakk runde")
    assert "Runde 1: 4 satt sammen, 1 gruppe møttes, 1 notat delt" in overview[0].text


async def test_preview_shows_the_pairs_the_round_gets_and_respects_dont_pair_me_with(network_chat: Chat) -> None:
    chat = network_chat
    await four_taking_part(chat)
    reply = await chat.say("ola", "/samsnakk unngå @kari")
    assert "Ingen andre får vite det" in reply[0].text
    assert not dms_to(chat, "kari", "ola")

    preview = await chat.say("kari", "/samsnakk runde vis")

    assert "0 par fra samme skole" in preview[0].text
    await chat.say("kari", "/samsnakk runde kjør")
    pairs = {frozenset(u.id for u in users) for users in chat.adapter.groups.values()}
    assert pairs == {frozenset({"kari", "per"}), frozenset({"lise", "ola"})}
    assert "kari (Nordby skole) + per (Vestby skole)" in preview[0].text


async def test_rounds_start_by_the_plan_and_a_skipped_round_is_left_out(network_chat: Chat) -> None:
    chat = network_chat
    await four_taking_part(chat)
    plan = await chat.say("kari", "/samsnakk runde innstill hver 1 uke onsdag 13:00")
    assert "hver uke, onsdag 13:00" in plan[0].text
    skipped = await chat.say("kari", "/samsnakk runde hopp-over")
    assert "Runde 1 er hoppet over" in skipped[0].text

    await chat.advance(timedelta(days=3))  # Thursday: the skipped Wednesday has passed
    assert not chat.adapter.groups
    await chat.restart()
    await chat.advance(timedelta(days=7))  # past Wednesday 16 September, 13:00

    assert len(chat.adapter.groups) == 2
    assert len(group_posts(chat, "runde 2")) == 2


async def test_a_round_needs_two_people_taking_part(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk på")
    reply = await chat.say("kari", "/samsnakk runde kjør")
    assert "det trengs minst to" in reply[0].text
    assert not chat.adapter.groups


async def test_a_round_leaves_out_who_paused_or_never_opted_in(network_chat: Chat) -> None:
    chat = network_chat
    await four_taking_part(chat)
    await chat.say("ola", "/samsnakk pause")
    await chat.say("lise", "/samsnakk av")
    await chat.say("nils", "/samskap bli-med Vestby skole")  # joined, never opted in

    preview = await chat.say("kari", "/samsnakk runde vis")
    await chat.say("kari", "/samsnakk runde kjør")

    assert [{u.id for u in users} for users in chat.adapter.groups.values()] == [{"kari", "per"}]
    assert "kari (Nordby skole) + per (Vestby skole)" in preview[0].text


async def test_only_leaders_run_rounds(network_chat: Chat) -> None:
    reply = await network_chat.say("ola", "/samsnakk runde kjør")
    assert "nettverksledere" in reply[0].text.lower() or "leder" in reply[0].text.lower()
    assert not network_chat.adapter.groups


# -- booking ---------------------------------------------------------------------------------------------
async def test_booking_with_a_time_gets_link_invitation_and_a_reminder_that_survives_a_restart(
    network_chat: Chat,
) -> None:
    chat = network_chat
    asked = await chat.say("kari", "/samsnakk @ola i morgen 14")
    assert "Jeg har spurt ola om tir. 8. sep. kl. 14:00 (samtale #1)" in asked[-1].text
    proposal = dms_to(chat, "ola", "vil gjerne ta en kjapp prat med deg")
    assert len(proposal) == 1 and "kari (Nordby skole, nettverksleder)" in proposal[0].text

    await chat.click("ola", "Godta")
    again = await chat.click("ola", "Godta")

    assert "allerede bekreftet" in again[-1].text
    kari_booked, ola_booked = dms_to(chat, "kari", "Booket"), dms_to(chat, "ola", "Booket")
    assert len(kari_booked) == len(ola_booked) == 1, "a call is booked once"
    link = re.search(r"https://meet\.jit\.si/samskap-\S+", kari_booked[0].text)
    assert link is not None and len(link.group(0)) > 40 and link.group(0) in ola_booked[0].text
    ics = next(p for p in kari_booked[0].message.parts if isinstance(p, Attachment))
    assert ics.filename.endswith(".ics") and ics.mime_type == "text/calendar"
    assert "DTSTART:20260908T120000Z" in ics.content and "DTEND:20260908T121500Z" in ics.content

    await chat.restart()
    await chat.advance(timedelta(hours=27, minutes=49))
    assert not dms_to(chat, "kari", "Om 10 minutter")
    await chat.advance(timedelta(minutes=1))
    assert len(dms_to(chat, "kari", "Om 10 minutter: samsnakk med ola")) == 1
    assert len(dms_to(chat, "ola", "Om 10 minutter: samsnakk med kari")) == 1

    await chat.advance(timedelta(minutes=30))
    assert len(dms_to(chat, "kari", "Hvordan var praten med ola?")) == 1
    await chat.say("kari", "/samsnakk notat Å spørre elevene først ga bedre samtaler")
    async with chat.bot.db.session() as s:
        notes = await Notes(s).between(1, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [n.source for n in notes] == ["samsnakk"]


async def test_booking_without_a_time_offers_free_slots_of_both(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("ola", "/samsnakk tider man-fre 14-16")
    await chat.say("kari", "/samsnakk @per i dag 14")  # kari is busy Monday 14:00-14:15

    offer = await chat.say("kari", "/samsnakk @ola")

    labels = [b.label for b in offer[0].buttons]
    assert labels == ["man. 14:15", "tir. 14:00", "ons. 14:00"]
    await chat.click("kari", "man. 14:15")
    assert len(dms_to(chat, "ola", "man. 7. sep. kl. 14:15")) == 1


async def test_the_partner_can_suggest_another_time_which_the_proposer_accepts(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @ola i morgen 14")
    await chat.click("ola", "Foreslå en annen tid")
    reply = await chat.submit("ola", {"time": "tomorrow 3pm"})
    assert "Jeg har foreslått tir. 8. sep. kl. 15:00 for kari" in reply[-1].text
    old = dms_to(chat, "ola", "vil gjerne ta en kjapp prat")[0]

    stale = await chat.click("ola", "Godta", sent=old)
    assert "endret eller ikke lenger åpen" in stale[-1].text
    await chat.say("kari", "/samsnakk godta 1")
    assert "tir. 8. sep. kl. 15:00" in dms_to(chat, "ola", "Booket")[0].text


async def test_who_has_fifteen_minutes_now_goes_to_the_first_who_presses(network_chat: Chat) -> None:
    chat = network_chat
    asked = await chat.say("kari", "/samsnakk nå elevsamtaler")
    post = asked[-1]
    assert post.destination.kind == "channel"
    assert "Hvem har 15 minutter nå?" in post.text and "Tema: elevsamtaler" in post.text

    button = post.buttons[0]  # per still sees the button he pressed a moment too late
    own = await chat.click("kari", "Jeg kan")
    assert "din egen forespørsel" in own[-1].text
    first = await chat.click("ola", "Jeg kan", sent=post)
    before = len(chat.sent)
    await chat.bot.dispatch(chat.adapter.action_event("per", button, chat.adapter.channel()), chat.adapter)
    late = chat.sent[before:]

    assert "Du har en prat med kari nå" in first[-1].text
    assert "Noen andre var raskere" in late[-1].text
    assert "kari og ola tar en kjapp prat" in post.text
    assert len(dms_to(chat, "kari", "Samsnakk med ola nå: bli med i videosamtalen")) == 1
    assert len(dms_to(chat, "ola", "Samsnakk med kari nå")) == 1
    assert not dms_to(chat, "per", "Samsnakk med")
    await chat.advance(timedelta(minutes=15))
    assert len(dms_to(chat, "ola", "Hvordan var praten med kari?")) == 1


async def test_nobody_answering_now_expires_with_a_message(network_chat: Chat) -> None:
    chat = network_chat
    post = (await chat.say("kari", "/samsnakk nå"))[-1]
    await chat.advance(timedelta(minutes=16))
    assert len(dms_to(chat, "kari", "Ingen hadde tid til en prat akkurat nå")) == 1
    assert "ingen hadde tid akkurat da" in post.text
    late = await chat.say("ola", "/samsnakk jeg-kan")
    assert "Ingen spør etter en prat" in late[-1].text


async def test_a_booked_call_can_be_moved_and_cancelled_by_either(network_chat: Chat) -> None:
    chat = network_chat
    await booked(chat)

    moved = await chat.say("ola", "/samsnakk flytt i morgen 15")
    assert "Samtale #1 er flyttet til tir. 8. sep. kl. 15:00" in moved[-1].text
    assert len(dms_to(chat, "kari", "ola har flyttet samsnakken deres til tir. 8. sep. kl. 15:00")) == 1
    assert len(dms_to(chat, "ola", "Flyttet: samsnakk med kari, tir. 8. sep. kl. 15:00")) == 1
    await chat.advance(timedelta(hours=27, minutes=55))  # 13:55: the old reminder time has passed
    assert not dms_to(chat, "kari", "Om 10 minutter")
    await chat.advance(timedelta(minutes=55))  # 14:50, ten minutes before the new time
    assert len(dms_to(chat, "kari", "Om 10 minutter")) == 1

    await chat.say("kari", "/samsnakk @ola i morgen 10")
    await chat.click("ola", "Godta")
    cancelled = await chat.say("kari", "/samsnakk avlys 2")
    assert "Samtale #2 er avlyst" in cancelled[-1].text
    notice = dms_to(chat, "ola", "kari har avlyst samtalen deres")
    assert len(notice) == 1
    assert any(isinstance(p, Attachment) and "STATUS:CANCELLED" in p.content for p in notice[0].message.parts)
    await chat.advance(timedelta(days=1))
    assert not dms_to(chat, "ola", "Om 10 minutter: samsnakk med kari (ons. 9. sep. kl. 10:00)")


# -- edge cases ------------------------------------------------------------------------------------------
async def test_times_in_the_past_and_unreadable_times_get_a_clear_answer(network_chat: Chat) -> None:
    chat = network_chat
    past = await chat.say("kari", "/samsnakk @ola 08:00")
    assert "08:00 har allerede vært i dag. Mente du i morgen, tir. 8. sep. kl. 08:00?" in past[-1].text
    unreadable = await chat.say("kari", "/samsnakk @ola etter lunsj")
    assert "Jeg forstod ikke tidspunktet «etter lunsj»" in unreadable[-1].text
    assert not dms_to(chat, "ola", "vil gjerne")


async def test_booking_oneself_someone_not_joined_or_paused_is_refused(network_chat: Chat) -> None:
    chat = network_chat
    assert "med deg selv" in (await chat.say("kari", "/samsnakk @kari 14"))[-1].text
    assert "@nils har ikke blitt med i nettverket" in (await chat.say("kari", "/samsnakk @nils 14"))[-1].text
    await chat.say("ola", "/samsnakk pause")
    assert "ola har satt samsnakk på pause" in (await chat.say("kari", "/samsnakk @ola 14"))[-1].text
    assert "ola har satt samsnakk på pause" in (await chat.say("kari", "/samsnakk @ola"))[-1].text
    assert not dms_to(chat, "ola", "vil gjerne")


async def test_double_bookings_are_refused_for_both_people(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @per i morgen 14")
    mine = await chat.say("kari", "/samsnakk @ola i morgen 14:10")
    assert "Du har allerede en samtale på dette tidspunktet (#1)" in mine[-1].text
    theirs = await chat.say("ola", "/samsnakk @kari i morgen 14:05")
    assert "kari er opptatt på det tidspunktet" in theirs[-1].text
    fine = await chat.say("ola", "/samsnakk @kari i morgen 14:15")
    assert "Jeg har spurt kari" in fine[-1].text


async def test_a_partner_who_never_answers_lets_the_request_expire(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @per i morgen 13")
    await chat.advance(timedelta(hours=24))
    expired = dms_to(chat, "kari", "per svarte ikke på forespørselen din om tir. 8. sep. kl. 13:00")
    assert len(expired) == 1
    late = await chat.click("per", "Godta")
    assert "endret eller ikke lenger åpen" in late[-1].text
    assert not dms_to(chat, "per", "Booket")


async def test_my_data_includes_calls_and_rounds(network_chat: Chat) -> None:
    chat = network_chat
    await booked(chat)
    await chat.say("kari", "/samsnakk unngå @per")
    await chat.say("kari", "/samskap mine-data")
    sent = chat.adapter.to_user("kari")[-2]
    data = json.loads(next(p for p in sent.message.parts if isinstance(p, Attachment)).content)
    assert data["samsnakk"]["calls"][0]["status"] == "confirmed"
    assert data["samsnakk"]["not_paired_with_member_ids"] == [3]


async def test_rounds_run_by_the_plan_when_members_opt_in_through_the_general_settings(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("lise", "/samskap bli-med Nordby skole")
    for name in ("kari", "ola", "per", "lise"):
        await chat.say(name, "/samskap innstillinger samsnakk på")
    await chat.say("kari", "/samskap leder innstilling samsnakk_dag fredag")

    await chat.advance(timedelta(days=4))  # Friday 11 September, 10:00 in Oslo: past 09:00

    assert len(chat.adapter.groups) == 2
    assert len(group_posts(chat, "runde 1")) == 2


async def test_three_people_make_one_trio(network_chat: Chat) -> None:
    chat = network_chat
    for name in ("kari", "ola", "per"):
        await chat.say(name, "/samsnakk på")
    await chat.say("kari", "/samsnakk runde kjør")
    assert [sorted(u.id for u in users) for users in chat.adapter.groups.values()] == [["kari", "ola", "per"]]


async def test_an_english_speaking_member_gets_english_times_and_texts(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("ola", "/samskap innstillinger språk en")
    asked = await chat.say("ola", "/samsnakk @kari tomorrow 3pm")
    assert "I have asked kari about Tue 8 Sep 15:00" in asked[-1].text
    await chat.click("kari", "Godta")
    assert len(dms_to(chat, "ola", "Booked: samsnakk with kari, Tue 8 Sep 15:00.")) == 1
    assert len(dms_to(chat, "kari", "Booket: samsnakk med ola, tir. 8. sep. kl. 15:00.")) == 1


async def test_a_round_explains_itself_in_one_log_line_without_personal_data(network_chat: Chat, caplog) -> None:  # type: ignore[no-untyped-def]
    chat = network_chat
    await four_taking_part(chat)
    with caplog.at_level("INFO", logger="bot.features.samsnakk"):
        await chat.say("kari", "/samsnakk runde kjør")
    lines = [r.getMessage() for r in caplog.records if "samsnakk round network=" in r.getMessage()]
    assert len(lines) == 1
    assert "members=4 groups=2 trios=0 same_school_pairs=0 repeats=0" in lines[0]
    assert not any(word in lines[0] for word in ("kari", "ola", "Nordby", "Sørby"))


async def test_upcoming_calls_show_in_the_members_home(network_chat: Chat) -> None:
    chat = network_chat
    await booked(chat)
    async with chat.bot.db.session() as s:
        kari = await Members(s).by_platform_id(1, "kari")
    assert kari is not None
    home = (await chat.bot.home(kari)).plain_text()
    assert "Dine samsnakk-samtaler" in home and "tir. 8. sep. kl. 14:00" in home and "Samsnakk med ola" in home


async def test_a_trio_books_one_call_for_all_three_from_the_round(network_chat: Chat) -> None:
    chat = network_chat
    for name in ("kari", "ola", "per"):
        await chat.say(name, "/samsnakk på")
    await chat.say("kari", "/samsnakk runde kjør")
    intro = group_posts(chat, "Samsnakk to-og-to, runde 1")[0]

    offer = await chat.click("ola", "Book en tid", sent=intro)
    assert "Ledige tider for deg og kari og per" in offer[-1].text
    await chat.click("ola", offer[-1].buttons[0].label, sent=offer[-1])
    proposal = dms_to(chat, "kari", "vil gjerne ta en kjapp prat med deg")
    assert len(proposal) == 1 and "Også invitert: per" in proposal[0].text
    assert "kari svarer på denne forespørselen" in (await chat.say("per", "/samsnakk godta 1"))[-1].text
    await chat.click("kari", "Godta")
    assert not dms_to(chat, "per", "Booket")  # per is asked before anyone books him
    await chat.click("per", "Godta")

    assert len(dms_to(chat, "per", "Booket: samsnakk med ola og kari")) == 1
    assert len(dms_to(chat, "kari", "Booket: samsnakk med ola og per")) == 1
    await chat.say("per", "/samsnakk avlys 1")
    assert len(dms_to(chat, "ola", "per har avlyst samtalen deres")) == 1
    assert len(dms_to(chat, "kari", "per har avlyst samtalen deres")) == 1


async def test_when_a_member_deletes_their_data_the_partner_hears_the_call_is_off(network_chat: Chat) -> None:
    chat = network_chat
    await booked(chat)
    await chat.say("ola", "/samskap slett-meg bekreft")
    await chat.tick()
    notice = dms_to(chat, "kari", "Samsnakk-samtalen din tir. 8. sep. kl. 14:00 er avlyst")
    assert len(notice) == 1 and "ola" not in notice[0].text
    await chat.advance(timedelta(days=2))
    assert not dms_to(chat, "kari", "Om 10 minutter")


async def test_two_mentions_book_a_call_for_three_and_a_length_can_be_given(network_chat: Chat) -> None:
    chat = network_chat
    asked = await chat.say("kari", "/samsnakk @ola @per fre 9 30 min")
    assert "Jeg har spurt ola om fre. 11. sep. kl. 09:00" in asked[-1].text
    assert "jeg spør per når ola sier ja" in asked[-1].text
    assert "så spør jeg deg" in (await chat.say("per", "/samsnakk godta 1"))[-1].text
    assert "Også invitert: per" in dms_to(chat, "ola", "vil gjerne ta en kjapp prat")[0].text
    replies = await chat.click("ola", "Godta")
    assert "Jeg har spurt per også" in replies[-1].text and "begge" not in replies[-1].text
    asked_per = dms_to(chat, "per", "kari og ola vil gjerne ta en kjapp prat med deg")
    assert len(asked_per) == 1 and "fre. 11. sep. kl. 09:00" in asked_per[0].text
    assert not dms_to(chat, "per", "Booket")
    replies = await chat.click("per", "Godta")
    assert "Dere får alle videolenken" in replies[-1].text
    booked_per = dms_to(chat, "per", "Booket: samsnakk med kari og ola")
    assert len(booked_per) == 1 and "30 minutter" in booked_per[0].text
    assert len(dms_to(chat, "kari", "Booket: samsnakk med ola og per")) == 1


async def test_a_third_who_declines_leaves_the_call_booked_for_the_two(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @ola @per fre 9")
    await chat.click("ola", "Godta")
    await chat.say("per", "/samsnakk avslå 1")
    assert len(dms_to(chat, "kari", "per kan ikke bli med")) == 1
    booked_kari = dms_to(chat, "kari", "Booket: samsnakk med ola")
    assert len(booked_kari) == 1 and "per" not in booked_kari[0].text.split("\n")[0]
    assert not dms_to(chat, "per", "Booket")


async def test_a_third_who_never_answers_lets_the_request_expire(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/samsnakk @ola @per fre 9")
    await chat.click("ola", "Godta")
    await chat.advance(timedelta(days=1, minutes=1))
    assert len(dms_to(chat, "kari", "per svarte ikke")) == 1 and len(dms_to(chat, "ola", "per svarte ikke")) == 1
    assert not dms_to(chat, "kari", "Booket")


async def test_leaders_plan_rounds_in_their_own_words(network_chat: Chat) -> None:
    chat = network_chat
    assert (
        "hver 2. uke, fredag 14:00"
        in (await chat.say("kari", "/samsnakk runde innstill annenhver uke fre kl 14"))[0].text
    )
    assert "ingen automatiske runder" in (await chat.say("kari", "/samsnakk runde innstill av"))[0].text
    assert "Skriv planen slik" in (await chat.say("kari", "/samsnakk runde innstill snart"))[0].text
    saved = await chat.say("kari", "/samsnakk runde spørsmål Hva gjorde dere da konflikten kom opp?")
    assert "Hva gjorde dere da konflikten kom opp?" in saved[0].text
