"""Item numbers after a command: what counts as one, and no number too long for the database."""

import pytest

from adapters.memory import Chat
from bot.numbers import leading_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", (12, "")),
        ("#12 med tekst", (12, "med tekst")),
        ("12. ", (12, "")),
        ("tolv", (None, "tolv")),
        ("9999999999", (None, "9999999999")),  # ten digits: more than an id column holds
        ("", (None, "")),
    ],
)
def test_a_leading_number_is_read_as_people_write_it(text: str, expected: tuple[int | None, str]) -> None:
    assert leading_number(text) == expected


@pytest.mark.postgres
@pytest.mark.parametrize("line", ["/kritiskvenn ja 99999999999", "/ide prøv 99999999999", "/samling fjern 99999999999"])
async def test_a_number_too_long_for_the_database_gets_the_usual_question(postgres_url: str, line: str) -> None:
    chat = await Chat.start(postgres_url)
    try:
        await chat.say("kari", "/samskap bli-med Nordby")
        answer = (await chat.say("kari", line))[0].text
        assert "noe gikk galt" not in answer and ("Hvilken" in answer or "Skriv" in answer)
    finally:
        await chat.close()
