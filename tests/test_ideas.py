"""The circle of inspiration, trial and report, through the in-memory adapter."""

from datetime import timedelta

from adapters.memory import Chat
from tests.support import dms_to


async def test_idea_is_posted_in_the_channel_with_a_try_button(network_chat: Chat) -> None:
    chat = network_chat
    sent = await chat.say("kari", "/ide Vennskapsbenk i friminuttet #friminutt")
    card = sent[0]
    assert card.destination.kind == "channel"
    assert "Vennskapsbenk" in card.text and "Nordby skole" in card.text
    assert [b.action_id for b in card.buttons] == ["ideas.adopt", "ideas.report"]


async def test_follow_up_reaches_adopter_after_two_weeks_and_report_flows_back(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    await chat.click("ola", "ideas.adopt")
    await chat.advance(timedelta(days=13))
    assert not dms_to(chat, "ola")
    await chat.advance(timedelta(days=1, minutes=1))
    follow_ups = dms_to(chat, "ola")
    assert len(follow_ups) == 1
    assert "ideas.report" in [b.action_id for b in follow_ups[0].buttons]

    await chat.click("ola", "ideas.report", sent=follow_ups[0])
    form = chat.adapter.last_form("ola").form
    assert form.state == "1" and [f.name for f in form.fields] == ["did", "changed", "happened"]
    await chat.submit(
        "ola", {"did": "Benk ved ballbingen", "changed": "Elevrådet drifter den", "happened": "Flere leker"}
    )

    thread_posts = [s for s in chat.sent if s.conversation and s.conversation.thread_id and "Benk ved" in s.text]
    assert len(thread_posts) == 1
    to_author = dms_to(chat, "kari", "Benk ved")
    assert len(to_author) == 1

    # The follow-up is not sent again later.
    await chat.advance(timedelta(days=30))
    assert len(dms_to(chat, "ola")) == 1


async def test_pending_follow_up_survives_a_restart_and_fires_once(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Klassemøter hver fredag")
    await chat.say("ola", "/ide prøv 1")
    await chat.restart()
    await chat.advance(timedelta(days=15))
    await chat.restart()
    await chat.advance(timedelta(days=15))
    dms = dms_to(chat, "ola")
    assert len(dms) == 1 and "Klassemøter" in dms[0].text


async def test_unknown_idea_number_gets_a_clear_message(network_chat: Chat) -> None:
    replies = await network_chat.say("ola", "/ide prøv 99")
    assert len(replies) == 1 and "99" in replies[0].text and replies[0].destination.kind == "ephemeral"


async def test_non_member_cannot_post_ideas(chat: Chat) -> None:
    await chat.say("kari", "/samskap bli-med Nordby")
    replies = await chat.say("ola", "/ide Noe lurt")
    assert "bli-med" in replies[0].text


async def test_identity_number_is_refused_and_text_given_back(network_chat: Chat) -> None:
    replies = await network_chat.say("ola", "/ide Eleven 01010012356 trenger støtte, vi prøvde gruppesamtaler")
    assert len(replies) == 1
    assert "01010012356" not in replies[0].text and "gruppesamtaler" in replies[0].text
    listing = await network_chat.say("ola", "/ideer")
    assert "gruppesamtaler" not in listing[0].text


async def test_search_finds_ideas_by_word_and_counts_who_is_trying(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk i friminuttet")
    await chat.say("per", "/ide Elevrådet planlegger aktiviteter #elevråd")
    await chat.say("ola", "/ide prøv 2")
    listing = (await chat.say("ola", "/ideer elevråd"))[0].text
    assert "Elevrådet" in listing and "Vennskapsbenk" not in listing
    assert "1" in listing


async def test_empty_and_overlong_ideas_are_refused(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("ola", "/ide")
    assert chat.adapter.last_form("ola").form.form_id == "ideas.new"
    replies = await chat.say("ola", "/ide " + "x" * 2500)
    assert "2500" in replies[0].text


async def test_follow_up_of_a_new_member_is_sent_even_after_an_earlier_one_was_erased(network_chat: Chat) -> None:
    """Ids are never reused (SQLite would reuse them): a new follow-up must not look like an old one."""
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk")
    await chat.say("ola", "/ide prøv 1")
    await chat.advance(timedelta(days=15))
    await chat.say("ola", "/samskap slett-meg bekreft")
    await chat.say("per", "/ide prøv 1")
    await chat.advance(timedelta(days=15))
    assert len(dms_to(chat, "per")) == 1


async def test_a_report_on_an_idea_deleted_meanwhile_gives_the_text_back(network_chat: Chat) -> None:
    chat = network_chat
    assert "Det finnes ingen idé nummer 7" in (await chat.say("ola", "/ide rapport 7"))[0].text
    await chat.say("kari", "/ide Klassemøter")
    await chat.say("ola", "/ide rapport 1")
    await chat.say("kari", "/samskap leder rolle @per nettverksleder")  # the network keeps a leader
    await chat.say("kari", "/samskap slett-meg bekreft")
    replies = await chat.submit("ola", {"did": "Vi prøvde klassemøter med rollekort", "changed": "", "happened": ""})
    assert "Det finnes ingen idé nummer 1" in replies[0].text
    assert "Vi prøvde klassemøter med rollekort" in replies[0].text


async def test_snoozing_before_the_follow_up_moves_it_a_week_and_it_comes_once(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Vennskapsbenk")
    await chat.say("ola", "/ide prøv 1")
    replies = await chat.say("ola", "/ide utsett 1")
    assert "Greit, jeg spør deg igjen" in replies[0].text
    await chat.advance(timedelta(days=8))
    await chat.advance(timedelta(days=14))
    assert len(dms_to(chat, "ola")) == 1


async def test_the_author_deletes_her_idea_after_saying_what_happens_to_the_tries_of_others(
    any_network_chat: Chat,
) -> None:
    chat = any_network_chat
    await chat.say("kari", "/ide Klassemøter hver fredag")
    await chat.say("ola", "/ide prøv 1")
    replies = await chat.say("ola", "/ide slett 1")
    assert "Bare den som delte idé 1" in replies[-1].text
    replies = await chat.say("kari", "/ide slett 1")
    assert "1 kollega har prøvd" in replies[-1].text and "/ide slett 1 bekreft" in replies[-1].text
    assert "Klassemøter" in (await chat.say("kari", "/ideer"))[-1].text  # nothing deleted yet
    replies = await chat.say("kari", "/ide slett 1 bekreft")
    assert "Idé 1 er slettet" in replies[-1].text
    assert "Klassemøter" not in (await chat.say("kari", "/ideer"))[-1].text
    await chat.advance(timedelta(days=30))  # ola is not asked how an idea that is gone went
    assert not dms_to(chat, "ola")


async def test_a_nynorsk_author_is_told_to_write_stadfest_and_it_deletes_the_idea(any_network_chat: Chat) -> None:
    chat = any_network_chat
    await chat.say("kari", "/samskap innstillingar språk nn")
    await chat.say("kari", "/ide Klassemøter kvar fredag")
    await chat.say("ola", "/ide prøv 1")
    replies = await chat.say("kari", "/ide slett 1")
    assert "1 kollega har prøvd" in replies[-1].text and "/ide slett 1 stadfest" in replies[-1].text
    replies = await chat.say("kari", "/ide slett 1 stadfest")
    assert "Idé 1 er sletta" in replies[-1].text


async def test_an_idea_nobody_else_tried_is_deleted_at_once(network_chat: Chat) -> None:
    chat = network_chat
    await chat.say("kari", "/ide Klassemøter hver fredag")
    replies = await chat.say("kari", "/ide delete 1")
    assert "Idé 1 er slettet" in replies[-1].text


async def test_a_member_deletes_her_own_report(any_network_chat: Chat) -> None:
    chat = any_network_chat
    await chat.say("kari", "/ide Klassemøter hver fredag")
    await chat.say("ola", "/ide rapport 1 Vi prøvde det i 6B")
    assert "6B" in (await chat.say("per", "/ide vis 1"))[-1].text
    replies = await chat.say("per", "/ide slett-rapport 1")
    assert "ingen rapport om idé 1" in replies[-1].text
    replies = await chat.say("ola", "/ide slett-rapport 1")
    assert "Rapporten din om idé 1 er slettet" in replies[-1].text
    assert "6B" not in (await chat.say("per", "/ide vis 1"))[-1].text
