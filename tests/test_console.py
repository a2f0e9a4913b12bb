"""The console adapter end to end: lines in, what each member would see out."""

import io
from collections.abc import Iterator
from datetime import timedelta

from adapters.console.adapter import ConsoleAdapter
from adapters.console.runner import parse_clock_step, serve
from bot.app import build_bot, shutdown
from bot.clock import OffsetClock
from bot.config import Config


async def run_console(
    db_url: str, lines: list[str], adapter: ConsoleAdapter | None = None, language: str = "nb"
) -> str:
    out = io.StringIO()
    adapter = adapter or ConsoleAdapter(out=out)
    adapter.out = out
    bot = await build_bot(Config(database_url=db_url, language=language), clock=OffsetClock())
    feed: Iterator[str] = iter([line + "\n" for line in lines])

    async def readline() -> str:
        return next(feed, "")

    try:
        await serve(bot, {"console_adapter": adapter, "readline": readline, "interactive": False})
    finally:
        await shutdown(bot)
    return out.getvalue()


async def test_console_runs_the_circle_of_idea_try_follow_up_and_report(tmp_path) -> None:
    output = await run_console(
        f"sqlite:///{tmp_path / 'c.db'}",
        [
            "kari: /samskap bli-med Nordby skole",
            "ola: /samskap bli-med Sørby skole",
            "kari: /ide Vennskapsbenk i friminuttet",
            "ola: 1",
            "/klokke +14d",
            "ola: 3",
            "ola: Vi satte opp benken ved ballbingen",
            "ola: Elevrådet drifter den",
            "ola: -",
        ],
    )
    assert "demonettverket" in output
    assert "[#generelt]" in output and "Vennskapsbenk" in output
    assert "[DM → ola]" in output
    assert "[#generelt › tråd" in output and "ballbingen" in output
    assert "[DM → kari]" in output  # the author hears how it went


async def test_buttons_of_others_cannot_be_pressed_and_unknown_numbers_are_explained(tmp_path) -> None:
    output = await run_console(
        f"sqlite:///{tmp_path / 'c.db'}",
        ["kari: /samskap bli-med Nordby", "kari: /samskap slett-meg", "ola: 1", "ola: 42"],
    )
    assert "bare for kari" in output
    assert "(det finnes ikke noe valg [42])" in output


async def test_a_button_too_old_to_be_remembered_says_so_and_a_new_one_still_works(tmp_path) -> None:
    adapter = ConsoleAdapter(max_buttons=4)
    output = await run_console(
        f"sqlite:///{tmp_path / 'c.db'}",
        ["kari: /samskap bli-med Nordby", "kari: /ide Vennskapsbenk", "ola: /samskap bli-med Sørby"]
        + ["ola: /ideer"] * 3
        + ["ola: 1", "ola: 8"],
        adapter,
    )
    assert "(valg [1] er for gammelt og virker ikke lenger; bruk kommandoen i stedet, f.eks. /ideer)" in output
    assert "*Idé 1* fra kari, Nordby" in output.rsplit("valg [1]", 1)[-1]  # [8] "Vis" shows the idea
    assert len(adapter.buttons) == 4


async def test_the_console_speaks_its_configured_language_in_its_own_words_too(tmp_path) -> None:
    lines = ["kari: /samskap join Nordby", "kari: /samskap delete-me", "ola: 1", "ola: 42", "/clock +1x"]
    english = await run_console(f"sqlite:///{tmp_path / 'en.db'}", lines, language="en")
    assert "(made the demo network" in english and "only for kari" in english
    assert "(there is no choice [42])" in english and "(use /clock +14d, +3h, +30m or +2w)" in english
    assert "finnes" not in english and "bare for" not in english
    nynorsk = await run_console(f"sqlite:///{tmp_path / 'nn.db'}", lines, language="nn")
    assert "(det finst ikkje noko val [42])" in nynorsk and "berre for kari" in nynorsk


async def test_data_survives_a_restart_of_the_console(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    await run_console(url, ["kari: /samskap bli-med Nordby", "kari: /ide Klassemøter hver fredag"])
    output = await run_console(url, ["kari: /ideer"])
    assert "Klassemøter" in output
    assert "demonettverket" not in output  # created once only


def test_clock_steps_are_understood() -> None:
    assert parse_clock_step("+14d") == timedelta(days=14)
    assert parse_clock_step("3h") == timedelta(hours=3)
    assert parse_clock_step("+2w") == timedelta(weeks=2)
    assert parse_clock_step("tomorrow") is None


async def run_console_in(folder, lines: list[str]) -> str:  # type: ignore[no-untyped-def]
    """As a newcomer runs it: the runner makes its own adapter, with files beside the database."""
    import contextlib

    out = io.StringIO()
    bot = await build_bot(Config(database_url=f"sqlite:///{folder / 'samskap.db'}"), clock=OffsetClock())
    feed: Iterator[str] = iter([line + "\n" for line in lines])

    async def readline() -> str:
        return next(feed, "")

    try:
        with contextlib.redirect_stdout(out):
            await serve(bot, {"readline": readline, "interactive": False})
    finally:
        await shutdown(bot)
    return out.getvalue()


async def test_a_command_typed_while_a_form_waits_runs_as_a_command(tmp_path) -> None:
    output = await run_console(
        f"sqlite:///{tmp_path / 'c.db'}",
        ["kari: /samskap bli-med Nordby skole", "kari: /ide", "kari: /samsnakk mine", "kari: Benk i friminuttet"],
    )
    assert "Idé 1: /samsnakk mine" not in output and "/samsnakk mine" not in output.split("*Idé 1*")[-1]
    assert "Du har ingen samtaler" in output  # the command ran
    assert "*Idé 1* fra kari" in output and "Benk i friminuttet" in output  # and the form still took the answer


async def test_files_the_bot_sends_are_saved_beside_the_database(tmp_path) -> None:
    output = await run_console_in(tmp_path, ["kari: /samskap bli-med Nordby skole", "kari: /samskap mine-data"])
    [saved] = list((tmp_path / "samskap-vedlegg").iterdir())
    assert f"lagret som {saved}" in output and '"Nordby skole"' in saved.read_text()


async def test_the_console_clock_is_where_klokke_left_it_after_a_restart(tmp_path) -> None:
    first = await run_console_in(tmp_path, ["kari: /samskap bli-med Nordby skole", "/klokke +14d"])
    second = await run_console_in(tmp_path, ["/klokke"])
    shown = [line for line in (first + second).splitlines() if line.startswith("(klokka er nå")]
    assert len(shown) == 2 and shown[0][:24] == shown[1][:24]  # the same day and hour, not today again


async def test_a_number_out_of_range_is_asked_again_at_once_and_the_form_is_kept(tmp_path) -> None:
    lines = ["kari: /samskap bli-med Nordby skole", "ola: /samskap bli-med Sørby skole",
             "per: /samskap bli-med Vestby skole", "kari: /kritiskvenn", "kari: 1",
             "kari: Vi har faste klassemøter hver fredag.", "kari: Hvordan får jeg de stille elevene med?",
             "kari: 7", "kari: 2", "kari: 1", "kari: 1", "kari: -"]  # fmt: skip
    output = await run_console(f"sqlite:///{tmp_path / 'c.db'}", lines)
    assert "(skriv et helt tall fra 2 til 4)" in output
    assert "Kritisk venn #1 er satt opp" in output and "fra 2 til 4." not in output


async def test_a_dash_for_a_field_that_must_be_filled_in_is_asked_again(tmp_path) -> None:
    output = await run_console(
        f"sqlite:///{tmp_path / 'c.db'}", ["kari: /samskap bli-med Nordby skole", "kari: /ide", "kari: -", "kari: Benk"]
    )
    assert "(dette feltet må fylles ut)" in output
    assert "*Idé 1* fra kari" in output and "\n  -\n" not in output and "Benk" in output
