"""Kritisk venn, end to end through the in-memory adapter with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from adapters.memory import Chat, Sent
from bot.events import Conversation
from bot.features.membership.service import MembershipService
from storage.models.core import LearningNote, Member
from tests.support import channel_posts, dms_to, texts

PRACTICE = {
    "kind": "practice",
    "practice": "Vi har innført trygghetsvandring i friminuttene, men de voksne snakker mest med hverandre.",
    "focus": "Hvordan får jeg de voksne til å oppsøke elevene som står alene?",
    "friends": "3",
    "pace": "live",
    "venue": "thread",
    "names": "",
}


async def join_more(chat: Chat) -> None:
    """Two more schools, and a colleague from kari's own school (who must never be chosen)."""
    await chat.say("lise", "/samskap bli-med Østby skole")
    await chat.say("siri", "/samskap bli-med Sørby skole")
    await chat.say("nils", "/samskap bli-med Nordby skole")


async def start_round(chat: Chat, presenter: str = "kari", **values: str) -> list[Sent]:
    await chat.say(presenter, "/kritiskvenn")
    return await chat.submit(presenter, {**PRACTICE, **values})


def invited(chat: Chat) -> set[str]:
    return {
        s.destination.user.id
        for s in chat.sent
        if s.destination.kind == "dm"
        and s.destination.user
        and any(b.action_id == "kritisk_venn.accept" for b in s.buttons)
    }


def thread_of(chat: Chat) -> Conversation:
    announcement = channel_posts(chat, "Kritisk venn #")[0]
    assert announcement.conversation is not None
    return announcement.conversation.in_thread(announcement.message_id)


def in_thread(chat: Chat, thread: Conversation) -> list[str]:
    return [s.text for s in chat.adapter.in_conversation(thread.id, thread.thread_id)]


async def test_full_live_round_with_decline_restart_late_contribution_and_summary(any_network_chat: Chat) -> None:
    chat = any_network_chat
    await join_more(chat)
    replies = await start_round(chat)
    assert "#1" in replies[-1].text
    assert invited(chat) == {"ola", "per", "lise"}  # one from each other school, never nils (same school)

    await chat.click("per", "Ikke denne gangen")
    assert "siri" in invited(chat)  # the decline brings the next candidate
    for name in ("ola", "lise", "siri"):
        await chat.click(name, "Ja, jeg blir med")

    thread = thread_of(chat)
    posts = in_thread(chat, thread)
    assert "Fase 1 av 6: Presentasjon" in posts[-1] and "trygghetsvandring" in posts[-1]

    await chat.click("kari", "Neste fase")
    assert "Fase 2 av 6" in in_thread(chat, thread)[-1]
    await chat.say("ola", "Hvor mange voksne har inspeksjon samtidig?", conversation=thread)
    await chat.say("kari", "Fire voksne.", conversation=thread)

    await chat.restart()  # a new process in the middle of the round

    await chat.say("lise", "/kritiskvenn bidra 1 Hvor lenge varer friminuttet?")
    await chat.click("siri", "Bidra")
    await chat.submit("siri", {"text": "Har de voksne faste soner?"})
    assert "Fase 2 av 6" in in_thread(chat, thread)[-1]  # everyone asked: the last answer is awaited
    await chat.say("kari", "Ja, tre soner.", conversation=thread)
    assert "Fase 3 av 6" in in_thread(chat, thread)[-1]  # everyone asked and was answered: the phase moved on

    # Probing: nobody writes, so the reminder goes out, then the deadline moves the round on.
    await chat.advance(timedelta(minutes=4))
    assert any("påminnelse" in s.text.lower() for s in chat.adapter.to_user("ola"))
    await chat.advance(timedelta(minutes=2))
    assert "Fase 4 av 6" in in_thread(chat, thread)[-1]

    for name, text in (
        ("ola", "Det jeg synes fungerer godt er at dere har faste tider."),
        ("lise", "Jeg legger merke til at dere har tenkt på hele skolegården."),
        ("siri", "Det jeg synes fungerer godt er at elevene vet hvem de kan gå til."),
    ):
        await chat.say(name, text, conversation=thread)
    replies = await chat.say("kari", "Men vi har jo prøvd det!", conversation=thread)
    assert "lytter" in replies[0].text  # a gentle reminder that the presenter listens now
    await chat.say("ola", "Jeg lurer på om de voksne vet hva de skal se etter?", conversation=thread)
    await chat.say("lise", "Har du vurdert å gi de voksne en rolle i leken?", conversation=thread)
    await chat.say("siri", "Jeg lurer på hva elevene selv sier.", conversation=thread)
    assert "Fase 5 av 6" in in_thread(chat, thread)[-1]

    await chat.say("kari", "Det jeg tar med meg er at de voksne trenger et tydelig oppdrag.", conversation=thread)
    assert "Fase 6 av 6" in in_thread(chat, thread)[-1]
    await chat.advance(timedelta(minutes=3))  # the debrief ends on its deadline

    summary = [s for s in chat.adapter.to_user("kari") if "Oppsummering" in s.text][-1].text
    assert "Hvor mange voksne" in summary and "Har de voksne faste soner" in summary
    assert "faste tider" in summary  # warm
    assert "hva elevene selv sier" in summary  # cool
    assert "en rolle i leken" in summary  # suggestion
    assert "tydelig oppdrag" in summary  # own reflection

    replies = await chat.say("ola", "Et siste spørsmål: hva med regnværsdager?", conversation=thread)
    to_ola = next(s for s in replies if s.to("ola"))
    assert "avsluttet" in to_ola.text  # a clear message to the late writer
    assert any("regnværsdager" in s.text for s in replies if s.to("kari"))  # and the text reaches the presenter

    await chat.click("kari", "Del et læringsnotat")
    await chat.submit("kari", {"note": "Voksne i friminuttet trenger et tydelig oppdrag."})
    async with chat.bot.db.session() as s:
        notes = (await s.scalars(select(LearningNote))).all()
    assert [n.source for n in notes] == ["kritisk_venn"]


async def test_too_few_friends_from_other_schools_offers_volunteers(chat: Chat) -> None:
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("nils", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    replies = await start_round(chat)
    assert "finner ikke nok kritiske venner" in replies[-1].text
    assert invited(chat) == {"ola"}

    await chat.click("kari", "Åpne for frivillige")
    call = chat.adapter.in_conversation("general")[-1]
    assert "ser etter kritiske venner" in call.text
    await chat.click("nils", "Jeg blir kritisk venn", sent=call)  # a colleague may volunteer
    await chat.click("ola", "Ja, jeg blir med")
    replies = await chat.say("kari", "/kritiskvenn start 1")
    assert "har startet" in replies[-1].text
    assert "Fase 1 av 6" in in_thread(chat, thread_of(chat))[-1]


async def test_silence_brings_the_next_candidate_even_across_a_restart(network_chat: Chat) -> None:
    chat = network_chat
    await join_more(chat)
    await start_round(chat, pace="days", friends="2")
    first = invited(chat)
    assert len(first) == 2
    await chat.restart()
    await chat.advance(timedelta(days=1))  # eight working hours without an answer
    assert len(invited(chat) - first) == 2  # both replaced by the next in line
    replies = await chat.say("kari", "/kritiskvenn status")
    assert "0 av 2 har takket ja" in replies[-1].text


async def test_round_in_a_group_goes_on_in_direct_messages_when_the_group_is_deleted(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, venue="group", friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    (group_id,) = chat.adapter.groups
    assert "Fase 1 av 6" in chat.adapter.in_conversation(group_id)[-1].text

    chat.adapter.deleted_conversations.add(group_id)
    await chat.say("kari", "/kritiskvenn neste 1")
    assert dms_to(chat, "kari", "slettet")
    assert dms_to(chat, "ola", "Fase 2 av 6")
    replies = await chat.say("ola", "/kritiskvenn bidra 1 Hvor mange elever er ute samtidig?")
    assert "Lagret" in replies[-1].text


async def test_a_friend_who_leaves_the_network_is_removed_and_the_round_goes_on(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("per", "/samskap slett-meg bekreft")
    await chat.say("ola", "Hvor ofte har dere inspeksjon?", conversation=thread_of(chat))
    await chat.say("kari", "Hver dag.", conversation=thread_of(chat))
    assert "Fase 3 av 6" in in_thread(chat, thread_of(chat))[-1]  # ola was the only friend left


async def test_a_presenter_who_deletes_their_data_erases_the_round(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, presenter="per", friends="2", names="@ola @kari")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("kari", "Ja, jeg blir med")
    await chat.say("per", "/samskap slett-meg bekreft")
    await chat.advance(timedelta(minutes=30))  # the round's deadlines find nothing and do nothing
    replies = await chat.say("ola", "/kritiskvenn status")
    assert "ingen kritisk venn-runder" in replies[-1].text
    replies = await chat.say("ola", "/kritiskvenn bidra 1 Et spørsmål")
    assert "ingen kritisk venn-runde #1" in replies[-1].text and "Et spørsmål" in replies[-1].text


async def test_the_presenter_can_cancel_and_later_texts_are_given_back(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    replies = await chat.say("ola", "/kritiskvenn avbryt 1")
    assert "Bare den som presenterer" in replies[-1].text
    await chat.say("kari", "/kritiskvenn avbryt 1")
    assert dms_to(chat, "per", "avlyst")
    replies = await chat.say("per", "/kritiskvenn bidra 1 Hvor lenge har dere holdt på?")
    assert "avlyst" in replies[-1].text and "Hvor lenge har dere holdt på?" in replies[-1].text
    await chat.advance(timedelta(hours=1))
    assert not any("Fase 2" in s.text for s in chat.sent)


async def test_a_form_with_a_bad_number_is_refused_without_losing_the_text(network_chat: Chat) -> None:
    replies = await start_round(network_chat, friends="7")
    assert "fra 2 til 4" in replies[-1].text and "trygghetsvandring" in replies[-1].text
    replies = await network_chat.say("kari", "/kritiskvenn status")
    assert "ingen kritisk venn-runder" in replies[-1].text


async def test_members_who_turned_off_invitations_are_not_asked(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("ola", "/samskap innstillinger kritiskvenn av")
    await chat.say("lise", "/samskap bli-med Østby skole")
    await start_round(chat, friends="2")
    assert invited(chat) == {"per", "lise"}


async def test_the_presenter_is_reminded_to_listen_when_using_the_contribute_button(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    for _ in range(3):
        await chat.say("kari", "/kritiskvenn neste 1")
    replies = await chat.click("kari", "Bidra")
    assert "lytter" in replies[-1].text
    home = await chat.bot.home(await member(chat, "ola"))
    assert "du er kritisk venn for kari" in home.plain_text()


async def member(chat: Chat, name: str) -> Member:
    async with chat.bot.db.session() as s:
        found = await s.scalar(select(Member).where(Member.user_id == name))
    assert found is not None
    return found


async def test_a_round_over_days_runs_its_phases_on_working_days_and_ends_with_a_summary(network_chat: Chat) -> None:
    chat = network_chat  # the fake clock starts on Monday 7 September 2026, 10:00 in Oslo
    await start_round(chat, pace="days", friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    thread = thread_of(chat)
    assert "Fase 1 av 6" in in_thread(chat, thread)[-1] and "kl. 12:00" in in_thread(chat, thread)[-1]
    finished_at = None
    for _ in range(24 * 4):
        await chat.advance(timedelta(hours=1))
        if dms_to(chat, "kari", "Oppsummering") or dms_to(chat, "kari", "Ingen skrev noe"):
            finished_at = chat.clock.now()
            break
    assert finished_at is not None
    # Three working days (08–16 Oslo) from Monday 10:00 end on Thursday before 10:00 Oslo time.
    assert finished_at.weekday() == 3 and finished_at.hour <= 8
    reminders = [s for s in chat.adapter.to_user("ola") if "påminnelse" in s.text]
    assert reminders, "friends who wrote nothing were reminded"


async def test_a_yes_can_become_a_no_before_the_round_starts(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("lise", "/samskap bli-med Østby skole")
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.say("ola", "/kritiskvenn nei 1")
    assert "lise" in invited(chat)  # the next candidate is asked instead


async def test_a_learning_note_is_shared_once(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    for _ in range(7):
        await chat.say("kari", "/kritiskvenn neste 1")
    replies = await chat.say("kari", "/kritiskvenn del 1 Trygghet kommer før utfordring.")
    assert "neste nettverksbrev" in replies[-1].text
    replies = await chat.say("kari", "/kritiskvenn del 1 En gang til.")
    assert "allerede delt" in replies[-1].text and "En gang til." in replies[-1].text


async def test_my_data_holds_my_rounds_and_the_english_alias_works(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    await chat.say("kari", "/criticalfriend next 1")
    await chat.say("ola", "/criticalfriend contribute 1 Hvor mange voksne er ute?")
    data = await chat.bot.services.get(MembershipService).export(await member(chat, "ola"))
    assert "Hvor mange voksne er ute?" in data and '"asked_as_friend"' in data
    data = await chat.bot.services.get(MembershipService).export(await member(chat, "kari"))
    assert "trygghetsvandring" in data


async def test_a_deleted_thread_keeps_every_text_and_the_summary_still_comes(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("ola", "Hvor mange voksne er ute?", conversation=thread_of(chat))
    chat.adapter.deleted_conversations.add("general")  # the platform answers "gone" from now on
    await chat.say("per", "/kritiskvenn bidra 1 Hvem bestemmer sonene?")
    for _ in range(6):  # the clarifying questions wait for the presenter's answer, so she moves on herself
        await chat.say("kari", "/kritiskvenn neste 1")
    assert len(dms_to(chat, "kari", "slettet")) == 1
    summary = dms_to(chat, "kari", "Oppsummering")[-1].text
    assert "Hvor mange voksne er ute?" in summary and "Hvem bestemmer sonene?" in summary


async def test_the_presenter_hears_when_the_round_starts_as_promised(network_chat: Chat) -> None:
    chat = network_chat
    replies = await start_round(chat, friends="2", names="@ola @per")
    assert "jeg sier fra når runden starter" in replies[-1].text
    await chat.click("ola", "Ja, jeg blir med")
    assert not dms_to(chat, "kari", "har startet")
    await chat.click("per", "Ja, jeg blir med")
    started = texts(dms_to(chat, "kari"), "har startet")
    assert len(started) == 1 and "ola" in started[0] and "per" in started[0]


async def test_a_friend_whose_invitation_lapsed_is_told(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("lise", "/samskap bli-med Østby skole")
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.advance(timedelta(minutes=11))  # per never answered the live round's invitation
    lapsed = dms_to(chat, "per")[-1].text
    assert "ikke lenger åpen" in lapsed and "#1" in lapsed
    assert "lise" in invited(chat)


async def test_clarifying_questions_wait_for_the_presenters_answer_which_is_in_her_summary(
    network_chat: Chat,
) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    thread = thread_of(chat)
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("ola", "Hvor mange voksne er ute?", conversation=thread)
    await chat.say("per", "Hvor lenge varer friminuttet?", conversation=thread)
    assert "Fase 2 av 6" in in_thread(chat, thread)[-1]  # the presenter has not answered yet
    await chat.say("kari", "Fire voksne, tjue minutter.", conversation=thread)
    assert "Fase 3 av 6" in in_thread(chat, thread)[-1]
    for _ in range(5):
        await chat.say("kari", "/kritiskvenn neste 1")
    summary = dms_to(chat, "kari", "Oppsummering")[-1].text
    assert "Hvor lenge varer friminuttet?" in summary and "Fire voksne, tjue minutter." in summary


async def test_a_friend_who_declines_is_replaced_from_a_school_the_round_has_no_friend_from(
    network_chat: Chat,
) -> None:
    chat = network_chat
    await chat.say("siri", "/samskap bli-med Sørby skole")
    await chat.say("lise", "/samskap bli-med Østby skole")
    await start_round(chat, friends="2")
    assert invited(chat) == {"ola", "per"}
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ikke denne gangen")
    assert invited(chat) == {"ola", "per", "lise"}  # not siri, from ola's school


async def test_a_round_where_nobody_wrote_ends_without_an_empty_summary(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    for _ in range(30):  # every phase of the live round runs out
        await chat.advance(timedelta(minutes=1))
    assert not dms_to(chat, "kari", "Oppsummering")
    assert "Ingen skrev noe" in dms_to(chat, "kari")[-1].text
    assert "uten at noen skrev" in in_thread(chat, thread_of(chat))[-1]


async def test_naming_yourself_as_a_friend_is_explained(network_chat: Chat) -> None:
    replies = await start_round(network_chat, friends="2", names="@kari @ola")
    assert "ikke være din egen kritiske venn" in replies[-1].text
    assert "ikke medlem av nettverket" not in replies[-1].text


async def test_a_round_short_of_friends_starts_with_those_who_said_yes_when_the_presenter_does_not_choose(
    network_chat: Chat,
) -> None:
    chat = network_chat
    await start_round(chat, friends="3")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ikke denne gangen")
    stuck = dms_to(chat, "kari")[-1].text
    assert "finner ikke nok kritiske venner" in stuck and "Har du ikke valgt innen" in stuck
    await chat.advance(timedelta(minutes=11))
    assert "har startet med ola" in dms_to(chat, "kari")[-1].text
    assert "Fase 1 av 6" in in_thread(chat, thread_of(chat))[-1]


async def test_a_round_nobody_said_yes_to_is_cancelled_when_the_presenter_does_not_choose(chat: Chat) -> None:
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("nils", "/samskap bli-med Nordby skole")
    replies = await start_round(chat, friends="2")
    assert "Har du ikke valgt innen" in replies[-1].text  # nobody from another school to ask at all
    await chat.advance(timedelta(minutes=11))
    assert "har avlyst den" in dms_to(chat, "kari")[-1].text
    replies = await chat.say("kari", "/kritiskvenn status")
    assert "avlyst" in replies[-1].text


async def test_a_cancelled_round_is_kept_until_the_presenter_deletes_it(any_network_chat: Chat) -> None:
    chat = any_network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("ola", "/kritiskvenn bidra 1 Hvor mange voksne er ute?")
    replies = await chat.say("kari", "/kritiskvenn slett 1")
    assert "pågår fortsatt" in replies[-1].text
    replies = await chat.say("kari", "/kritiskvenn avbryt 1")
    assert "tas vare på til du sletter det" in replies[-1].text
    replies = await chat.say("per", "/kritiskvenn slett 1")
    assert "ikke skrevet noe" in replies[-1].text
    replies = await chat.say("kari", "/kritiskvenn slett 1")
    assert "/kritiskvenn slett 1 bekreft" in replies[-1].text
    assert "#1" in (await chat.say("kari", "/kritiskvenn status"))[-1].text
    replies = await chat.say("kari", "/kritiskvenn slett 1 bekreft")
    assert "Runde #1 er slettet" in replies[-1].text
    assert "ingen kritisk venn-runder" in (await chat.say("kari", "/kritiskvenn status"))[-1].text


async def test_a_friend_deletes_what_she_wrote_in_a_round(any_network_chat: Chat) -> None:
    chat = any_network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("ola", "/kritiskvenn bidra 1 Hvor mange voksne er ute?")
    replies = await chat.say("ola", "/kritiskvenn delete 1")
    assert "Det du skrev i runde #1, er slettet" in replies[-1].text
    for _ in range(6):
        await chat.say("kari", "/kritiskvenn neste 1")
    assert not dms_to(chat, "kari", "Hvor mange voksne")


async def test_a_shared_learning_note_is_in_the_next_digest_as_promised(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("ola", "/kritiskvenn bidra 1 Hvor mange voksne er ute?")
    for _ in range(6):
        await chat.say("kari", "/kritiskvenn neste 1")
    replies = await chat.say("kari", "/kritiskvenn del 1 Voksne i friminuttet trenger et tydelig oppdrag.")
    assert "kommer med i neste nettverksbrev" in replies[-1].text
    chat.clock.set(datetime(2026, 9, 14, 6, 1, tzinfo=UTC))  # the next weekly digest, Monday 08:00 in Oslo
    await chat.tick()
    digest = [s.text for s in chat.adapter.in_conversation("general") if s.message.summary.startswith("Nettverksbrev")]
    assert digest and "tydelig oppdrag" in digest[-1] and "kari" not in digest[-1]  # without her name


async def test_volunteers_get_their_own_time_before_the_round_starts_with_those_who_said_yes(chat: Chat) -> None:
    await chat.say("kari", "/samskap bli-med Nordby skole")
    await chat.say("nils", "/samskap bli-med Nordby skole")
    await chat.say("ola", "/samskap bli-med Sørby skole")
    await start_round(chat, friends="2")
    await chat.click("ola", "Ja, jeg blir med")  # the only one from another school: the round is short
    await chat.advance(timedelta(minutes=5))
    replies = await chat.say("kari", "/kritiskvenn frivillige 1")
    assert "spurt etter frivillige" in replies[-1].text
    assert "innen kl. 10:15" in replies[-1].text  # ten minutes from now (the clock started at 10:00 Oslo time)
    await chat.advance(timedelta(minutes=6))  # the first decision time has passed; the volunteers' has not
    assert not dms_to(chat, "kari", "har startet")
    await chat.advance(timedelta(minutes=5))
    assert "har startet med ola" in dms_to(chat, "kari")[-1].text


async def test_a_presenter_who_has_not_answered_is_reminded_and_the_deadline_still_moves_on(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.click("per", "Ja, jeg blir med")
    thread = thread_of(chat)
    await chat.say("kari", "/kritiskvenn neste 1")
    await chat.say("ola", "Hvor mange voksne er ute?", conversation=thread)
    await chat.say("per", "Hvor lenge varer friminuttet?", conversation=thread)
    await chat.advance(timedelta(minutes=3))  # two thirds of the clarifying phase's four minutes
    assert "venter på svaret ditt" in dms_to(chat, "kari")[-1].text
    assert not any("påminnelse" in text.lower() for text in texts(dms_to(chat, "ola")))  # ola has asked
    await chat.advance(timedelta(minutes=1, seconds=30))
    assert "Fase 3 av 6" in in_thread(chat, thread)[-1]


async def test_friends_still_asked_hear_when_the_round_starts_without_them_or_is_cancelled(network_chat: Chat) -> None:
    chat = network_chat
    await start_round(chat, friends="2", names="@ola @per")
    await chat.click("ola", "Ja, jeg blir med")
    await chat.say("kari", "/kritiskvenn start 1")
    assert "runden har startet med dem som takket ja" in dms_to(chat, "per")[-1].text

    await start_round(chat, presenter="per", friends="2", names="@ola @kari")
    await chat.say("per", "/kritiskvenn avbryt 2")
    assert "per har avlyst runden" in dms_to(chat, "ola")[-1].text and "#2" in dms_to(chat, "ola")[-1].text
