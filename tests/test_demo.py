"""`samskap demo`: half a term of a living network, played through the real core, in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters import demo
from adapters.cli import main
from bot.app import build_bot, shutdown
from bot.clock import OffsetClock
from bot.config import Config
from storage.models.core import Member
from storage.models.digest import DigestIssue
from storage.models.ideas import Adoption, ExperienceReport, PracticeIdea
from storage.models.kritisk_venn import KvSession
from storage.models.samlinger import Samling
from storage.models.samsnakk import SamsnakkGroup


async def test_the_demo_fills_a_network_with_half_a_term_through_the_core(tmp_path: Path) -> None:
    bot = await build_bot(Config(database_url=f"sqlite:///{tmp_path / 'samskap.db'}"), clock=OffsetClock())
    try:
        printed = await demo.fill(bot)
        async with bot.db.read() as s:

            def count(model: type) -> object:
                return s.scalar(select(func.count()).select_from(model))

            members = (await s.execute(select(Member.school, func.count()).group_by(Member.school))).all()
            assert len(members) == 6 and all(n == 4 for _school, n in members)
            assert await count(PracticeIdea) == 6 and await count(Adoption) == 16
            assert await count(ExperienceReport) == len(demo.REPORTS)
            from sqlalchemy.orm import aliased

            author = aliased(Member)
            crossed = await s.scalar(
                select(func.count()).select_from(Adoption).join(PracticeIdea, Adoption.idea_id == PracticeIdea.id)
                .join(Member, Member.id == Adoption.member_id).join(author, author.id == PracticeIdea.author_id)
                .where(Member.school != author.school)
            )  # fmt: skip
            assert crossed == 16  # every idea travelled: each try is from another school than the idea
            assert (await s.scalars(select(KvSession.status))).all() == ["done"]
            assert await count(SamsnakkGroup) >= 10
            assert await count(Samling) == 2
            assert (await s.scalar(select(func.count()).select_from(DigestIssue)
                                   .where(DigestIssue.status == "published"))) == 2  # fmt: skip
    finally:
        await shutdown(bot)
    assert "noe gikk galt" not in printed and "Teksten din" not in printed  # every line was understood


def test_the_demo_will_not_fill_a_database_that_is_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAMSKAP_DATABASE_URL", f"sqlite:///{tmp_path / 'samskap.db'}")
    assert main(["demo"]) == 0
    assert "A demo network is ready" in capsys.readouterr().out
    assert main(["demo"]) == 2
    assert "already has members" in capsys.readouterr().err
