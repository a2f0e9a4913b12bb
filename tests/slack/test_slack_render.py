"""The Block Kit renderer: Slack's limits hold for any message, and nothing is lost on the way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.render import (
    MAX_BLOCKS,
    escape,
    original_action_id,
    read_form_metadata,
    read_form_values,
    render_form,
    render_home,
    render_message,
    render_single,
    render_update,
    split_text,
)
from bot.events import Conversation
from bot.messages import (
    Attachment,
    Button,
    Buttons,
    ContextLine,
    Divider,
    Form,
    FormField,
    Link,
    Links,
    Message,
    Section,
    Text,
)


def blocks_of(message: Message) -> list[dict[str, Any]]:
    return [block for payload in render_message(message).payloads for block in payload["blocks"]]


def assert_within_limits(block: dict[str, Any]) -> None:
    if block["type"] == "section":
        if "text" in block:
            assert 1 <= len(block["text"]["text"]) <= 3000
        assert len(block.get("fields", [])) <= 10
        assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
    elif block["type"] == "actions":
        assert 1 <= len(block["elements"]) <= 25
        ids = [e["action_id"] for e in block["elements"]]
        assert len(ids) == len(set(ids))
        for element in block["elements"]:
            assert 1 <= len(element["text"]["text"]) <= 75
            assert len(element.get("value", "")) <= 2000
            assert len(element["action_id"]) <= 255
    elif block["type"] == "context":
        assert 1 <= len(block["elements"]) <= 10
        assert all(len(e["text"]) <= 3000 for e in block["elements"])


def test_sixty_paragraphs_become_two_messages_in_order() -> None:
    message = Message.of(*(Text(f"Idé {i}") for i in range(60)))
    payloads = render_message(message).payloads
    assert [len(p["blocks"]) for p in payloads] == [MAX_BLOCKS, 10]
    texts = [b["text"]["text"] for p in payloads for b in p["blocks"]]
    assert texts == [f"Idé {i}" for i in range(60)]


def test_a_long_text_is_split_into_sections_without_losing_words() -> None:
    words = [f"ord{i}" for i in range(1500)]
    blocks = blocks_of(Message.text(" ".join(words)))
    assert len(blocks) >= 3
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks)
    assert " ".join(b["text"]["text"] for b in blocks).split() == words


def test_a_text_without_spaces_is_cut_hard_and_an_escape_is_never_split() -> None:
    pieces = split_text("&amp;" * 1000, 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert all(p.endswith(";") for p in pieces)
    assert "".join(pieces) == "&amp;" * 1000


def test_button_labels_are_shortened_and_oversized_values_left_out() -> None:
    message = Message.of(Buttons((
        Button("Jeg prøver dette i klassen min allerede denne uka, sammen med kontaktlæreren", "ideas.adopt", "1"),
        Button("Stor", "ideas.big", "x" * 2001),
    )))  # fmt: skip
    (actions,) = blocks_of(message)
    (button,) = actions["elements"]
    assert len(button["text"]["text"]) == 75 and button["text"]["text"].endswith("…")
    assert button["action_id"] == "ideas.adopt" and button["value"] == "1"


def test_many_buttons_are_spread_over_actions_blocks_with_unique_ids() -> None:
    message = Message.of(Buttons(tuple(Button(f"Idé {i}", "ideas.adopt", str(i)) for i in range(30))))
    blocks = blocks_of(message)
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    for block in blocks:
        assert_within_limits(block)
    assert {original_action_id(e["action_id"]) for b in blocks for e in b["elements"]} == {"ideas.adopt"}
    assert [e["value"] for b in blocks for e in b["elements"]] == [str(i) for i in range(30)]


def test_section_fields_are_grouped_by_ten() -> None:
    fields = tuple((f"Skole {i}", f"{i} prøver") for i in range(13))
    blocks = blocks_of(Message.of(Section("*Hvem prøver?*", fields)))
    assert [len(b["fields"]) for b in blocks] == [10, 3]
    assert blocks[0]["text"]["text"] == "*Hvem prøver?*"


def test_user_text_cannot_ping_the_channel_or_break_links() -> None:
    (block,) = blocks_of(Message.text("<!channel> a & b <@U1>"))
    assert block["text"]["text"] == "&lt;!channel&gt; a &amp; b &lt;@U1&gt;"
    (links,) = blocks_of(Message.of(Links((Link("Udir | veileder", "https://udir.no/a b", "Om <vurdering>"),))))
    assert links["text"]["text"] == "• <https://udir.no/a%20b|Udir ¦ veileder> — Om &lt;vurdering&gt;"


def test_every_part_kind_renders_and_attachments_travel_as_files() -> None:
    rendered = render_message(
        Message.of(
            Section("Samling 3", (("Når", "torsdag"),)), Divider(), ContextLine("Kari, Nordby skole"),
            Attachment("samling.ics", "BEGIN:VCALENDAR"), summary="Samling 3",
        )
    )  # fmt: skip
    assert [b["type"] for b in rendered.payloads[0]["blocks"]] == ["section", "divider", "context"]
    assert rendered.payloads[0]["text"] == "Samling 3"
    assert [f.filename for f in rendered.files] == ["samling.ics"]


def test_a_message_of_only_a_file_has_no_empty_post() -> None:
    rendered = render_message(Message.of(Attachment("mine-data.json", "{}")))
    assert rendered.payloads == ()
    assert len(rendered.files) == 1


def test_single_payloads_and_home_views_are_cut_to_their_limit() -> None:
    message = Message.of(*(Text(f"{i}") for i in range(120)))
    assert len(render_single(message)["blocks"]) == 50
    assert len(render_home(message)["blocks"]) == 100


def test_an_update_never_needs_more_messages_than_were_sent() -> None:
    message = Message.of(*(Text(f"{i}") for i in range(120)))  # three messages' worth
    first, second = render_update(message, 2)
    assert len(first["blocks"]) == len(second["blocks"]) == MAX_BLOCKS
    assert second["blocks"][0]["text"]["text"] == "50" and second["blocks"][-1]["type"] == "context"
    assert len(render_update(message, 3)) == 3 and len(render_update(Message.text("kort"), 3)) == 1


def test_a_form_becomes_a_modal_within_limits_and_its_state_comes_back() -> None:
    form = Form(
        "ideas.report", "Hvordan gikk det med vennskapsbenken i friminuttet?",
        (
            FormField("how", "Hva skjedde?", "long_text", hint="Skriv kort", max_length=5000),
            FormField("pick", "Anbefaler du den?", "choice", required=False, choices=(("ja", "Ja"), ("nei", "Nei")),
                      initial="nei"),
            FormField("count", "Antall elever", "number", hint="Et tall", min_value=2, max_value=4),
        ),
        state="idea:42", notice="Ikke skriv navn på elever.",
    )  # fmt: skip
    conv = Conversation("slack", "T1", "C1", "1700.1")
    view = render_form(form, conversation=conv, submit_label="Send", close_label="Avbryt")
    assert view["callback_id"] == "ideas.report"
    assert len(view["title"]["text"]) == 24
    assert [b["type"] for b in view["blocks"]] == ["section", "input", "input", "input"]
    how, pick, count = view["blocks"][1:]
    assert how["element"]["multiline"] and how["element"]["max_length"] == 3000
    assert pick["optional"] and pick["element"]["initial_option"]["value"] == "nei"
    assert count["element"]["type"] == "number_input"
    assert (count["element"]["min_value"], count["element"]["max_value"]) == ("2", "4")  # Slack checks it in place
    assert read_form_metadata(view["private_metadata"]) == ("idea:42", ("C1", "1700.1", False))


def test_a_form_with_a_huge_state_keeps_the_state_and_drops_the_place() -> None:
    form = Form("x.y", "Skjema", (), state="s" * 2980)
    view = render_form(form, conversation=Conversation("slack", "T1", "C1"), submit_label="Send", close_label="Avbryt")
    assert read_form_metadata(view["private_metadata"]) == ("s" * 2980, None)
    with pytest.raises(ValueError):
        render_form(Form("x.y", "Skjema", (), state="s" * 3100), conversation=None, submit_label="", close_label="")


def test_submitted_values_are_read_for_every_input_kind() -> None:
    values = {
        "how": {"value": {"type": "plain_text_input", "value": "Godt"}},
        "pick": {"value": {"type": "static_select", "selected_option": None}},
        "count": {"value": {"type": "number_input", "value": "12"}},
    }
    assert read_form_values(values) == {"how": "Godt", "pick": "", "count": "12"}


def test_escape_leaves_ordinary_text_alone() -> None:
    assert escape("Vennskapsbenk *i* friminuttet") == "Vennskapsbenk *i* friminuttet"


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=4000)
_button = st.builds(
    Button, _text, st.text("abc._", min_size=1, max_size=260), st.text(max_size=2100),
    st.sampled_from(["default", "primary", "danger"]),
)  # fmt: skip
_part = st.one_of(
    st.builds(Text, _text),
    st.builds(Section, _text, st.lists(st.tuples(_text, _text), max_size=25).map(tuple)),
    st.builds(Buttons, st.lists(_button, min_size=1, max_size=40).map(tuple)),
    st.builds(Links, st.lists(st.builds(Link, _text, st.text(max_size=200), _text), max_size=30).map(tuple)),
    st.just(Divider()),
    st.builds(ContextLine, _text),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_part, max_size=80))
def test_any_message_renders_within_slacks_limits(parts: list) -> None:  # type: ignore[type-arg]
    rendered = render_message(Message(tuple(parts)))
    for payload in rendered.payloads:
        assert len(payload["blocks"]) <= MAX_BLOCKS
        assert 1 <= len(payload["text"]) <= 3000
        for block in payload["blocks"]:
            assert_within_limits(block)
        json.dumps(payload)
