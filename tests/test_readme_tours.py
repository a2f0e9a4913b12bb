"""The README's console tours run as written: each block, in a fresh directory, through `samskap run`,
prints what the README shows (dates and the video room aside, which depend on the day it is run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOUR_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("tour.*.md"))]
BLOCK = re.compile(r"```text\n(.*?)```", re.DOTALL)
# Lines a reader types: a member speaking ("kari: …") or a console command ("/klokke …").
INPUT = re.compile(r"^(?:[a-zæøå][\wæøå.-]{0,30}:\s|/)", re.IGNORECASE)

_WEEKDAYS = (
    r"(?:man|tir|ons|tor|fre|lør|søn|mon|tue|wed|thu|fri|sat|sun|mandag|tirsdag|onsdag|torsdag|fredag|lørdag|"
    r"søndag|måndag|tysdag|laurdag|sundag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\.?"
)
_MONTHS = r"(?:jan|feb|mars?|apr|mai|may|juni?|june|juli?|july|aug|sep|sept|okt|oct|nov|des|dec)[a-z]*\.?"
DATES = [
    (re.compile(rf"\b{_WEEKDAYS}(?=[\s!,.)])", re.IGNORECASE), "<dag>"),
    (re.compile(rf"\b\d{{1,2}}\.? {_MONTHS}( \d{{4}})?", re.IGNORECASE), "<dato>"),
    (re.compile(rf"\b{_MONTHS} \d{{1,2}}(, \d{{4}})?", re.IGNORECASE), "<dato>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?( [A-Z]{3,4})?"), "<dato>"),
    (re.compile(r"\b(uke|week|veke) \d{1,2}(–\d{1,2})?\b", re.IGNORECASE), r"\1 <n>"),
    (re.compile(r"\b\d{1,2}\.\d{1,2}\.(\d{2,4})?"), "<dato>"),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), "<kl>"),
    (re.compile(r"samskap-[A-Za-z0-9_-]{10,}"), "samskap-<rom>"),
]


def tours() -> list[tuple[str, str]]:
    found = []
    for path in TOUR_FILES:
        for index, match in enumerate(BLOCK.finditer(path.read_text(encoding="utf-8")), 1):
            if any(INPUT.match(line) for line in match.group(1).splitlines()):
                found.append((f"{path.name}#{index}", match.group(1)))
    return found


def normalise(line: str) -> str:
    line = line.rstrip()
    for pattern, placeholder in DATES:
        line = pattern.sub(placeholder, line)
    return line


def expected_lines(block: str) -> list[str]:
    """What the README shows the bot printing; a line that ends in '...' stands for any ending."""
    return [normalise(line) for line in block.splitlines() if line.strip() and not INPUT.match(line)
            and line.strip() != "..."]  # fmt: skip


def run_console(block: str, folder: Path, language: str = "nb") -> list[str]:
    lines = [line for line in block.splitlines() if INPUT.match(line)]
    # The one difference from a newcomer's run: the bot reads nothing from the web (no traffic leaves
    # this machine); a shared link is then shown with a title made from its address. A tour in
    # docs/tour.<language>.md starts the console in that language, as the page says.
    (folder / "samskap.toml").write_text(f'language = "{language}"\n[digest]\nread_the_web = false\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMSKAP_", "SLACK_", "DISCORD_"))}
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "run"], input="\n".join(lines) + "\n", capture_output=True,
        text=True, cwd=folder, env={**env, "PYTHONPATH": str(ROOT)}, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [normalise(line) for line in result.stdout.splitlines()]


def missing_from(expected: list[str], printed: list[str]) -> list[str]:
    """The README's lines that the console did not print, in the README's order."""
    missing, position = [], 0
    for line in expected:
        prefix = line.removesuffix("...").rstrip() if line.endswith("...") else None
        for index in range(position, len(printed)):
            if printed[index] == line or (prefix is not None and printed[index].startswith(prefix)):
                position = index + 1
                break
        else:
            missing.append(line)
    return missing


@pytest.mark.parametrize(("name", "block"), tours(), ids=[name for name, _ in tours()])
def test_a_readme_tour_prints_what_the_readme_shows(name: str, block: str, tmp_path: Path) -> None:
    language = name.split("#")[0].removeprefix("tour.").removesuffix(".md") if name.startswith("tour.") else "nb"
    printed = run_console(block, tmp_path, language)
    missing = missing_from(expected_lines(block), printed)
    assert not missing, f"{name}: not printed:\n" + "\n".join(missing) + "\n\nprinted:\n" + "\n".join(printed)


def test_the_tours_are_found() -> None:
    names = {name.split("#")[0] for name, _ in tours()}
    assert len(tours()) >= 9 and {"README.md", "tour.en.md", "tour.nn.md"} <= names
