"""Practice ideas: the circle of inspiration, trial and report, free of any chat platform."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.adapter import Destination
from bot.errors import UserError
from bot.events import Conversation
from bot.features.ideas import cards
from bot.limits import check_length
from bot.scheduler import JobRun
from storage.models.core import Member, Network
from storage.models.ideas import Adoption, AdoptionStatus, ExperienceReport, FollowUpStatus, PracticeIdea
from storage.repositories.core import Members, Networks
from storage.repositories.ideas import Ideas, IdeaSummary, ListedIdea

if TYPE_CHECKING:
    from bot.core_api import CoreApi

MAX_IDEA_LENGTH = cards.MAX_IDEA_LENGTH
MAX_REPORT_FIELD_LENGTH = cards.REPORT_FIELD_LIMIT
MAX_SEARCH_LENGTH = 100
SNOOZE = timedelta(days=7)
FOLLOW_UP_JOB = "ideas.follow_up"
# Days before someone who tries an idea is asked how it went (a network setting).
FOLLOW_UP_SETTING = "oppfolging"
TAG = re.compile(r"#([\wæøåÆØÅ-]{2,40})")


class IdeaError(UserError):
    """Something the user can fix; `msgid` is translated for them."""


def no_such_idea(idea_id: int) -> IdeaError:
    return IdeaError("There is no idea number {id}. See the list with /ideer.", id=idea_id)


@dataclass(frozen=True)
class Adopted:
    idea_id: int
    follow_up_at: datetime


def parse_tags(text: str) -> list[str]:
    return list(dict.fromkeys(tag.lower() for tag in TAG.findall(text)))


def check_text(text: str, max_length: int, empty_msgid: str) -> str:
    text = text.strip()
    if not text:
        raise IdeaError(empty_msgid)
    if len(text) > max_length:
        raise IdeaError(
            "That is {n} characters; the limit is {max}. Shorten it and send it again.", n=len(text), max=max_length
        )
    return text


class IdeasService:
    def __init__(self, bot: CoreApi) -> None:
        self.bot = bot

    def follow_up_delay(self, network: Network) -> timedelta:
        return timedelta(days=int(self.bot.settings.network_value(network, FOLLOW_UP_SETTING)))

    async def post(self, network: Network, author: Member, text: str) -> IdeaSummary:
        """Save a new idea; its summary (nobody is trying it yet) is what the card shows."""
        text = check_text(text, MAX_IDEA_LENGTH, "Write the idea after the command: /ide <what you tried>")
        tags = parse_tags(text)
        async with self.bot.db.one_statement() as s:
            idea_id = await Ideas(s).add(network.id, author, text, tags, self.bot.clock.now())
        return IdeaSummary(ListedIdea(idea_id, text, tags), author.display_name, author.school, trying=0, reports=0)

    async def mark_posted(self, idea_id: int, conversation: Conversation, message_id: str) -> None:
        """Remember where the idea's card is, so reports can go to its thread."""
        async with self.bot.db.one_statement() as s:
            await Ideas(s).set_posted(idea_id, conversation.to_dict(), message_id)

    async def list_ideas(self, network: Network, search: str = "", limit: int = 10) -> list[IdeaSummary]:
        async with self.bot.db.read() as s:
            return await Ideas(s).summaries(network.id, check_length(search.strip(), MAX_SEARCH_LENGTH), limit)

    async def show(self, network: Network, idea_id: int) -> tuple[IdeaSummary, list[tuple[ExperienceReport, Member]]]:
        async with self.bot.db.read() as s:
            ideas = Ideas(s)
            summary = await ideas.summary(network.id, idea_id)
            if summary is None:
                raise no_such_idea(idea_id)
            return summary, await ideas.reports_for(idea_id)

    async def summary(self, network: Network, idea_id: int) -> IdeaSummary:
        async with self.bot.db.read() as s:
            summary = await Ideas(s).summary(network.id, idea_id)
        if summary is None:
            raise no_such_idea(idea_id)
        return summary

    async def adopt(self, network: Network, member: Member, idea_id: int) -> Adopted:
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            ideas = Ideas(s)
            tried = await ideas.try_of(network.id, idea_id, member.id)
            if tried is None:
                raise no_such_idea(idea_id)
            if tried.author_id == member.id:
                raise IdeaError(
                    "This is your own idea. Tell the others how it goes with /ide rapport {id}.", id=idea_id
                )
            if tried.status == AdoptionStatus.TRYING:
                raise IdeaError("You are already trying idea {id}. I will ask you how it went.", id=idea_id)
            if tried.adoption_id is None:
                adoption_id = await ideas.adopt(idea_id, member.id, now)
            else:
                adoption_id = tried.adoption_id
                await ideas.set_adoption_status(adoption_id, AdoptionStatus.TRYING)
            due = now + self.follow_up_delay(network)
            # In the same transaction: an adoption never exists without its follow-up job.
            await self._add_follow_up(s, adoption_id, due)
        return Adopted(idea_id, due)

    async def send_follow_up(self, payload: dict[str, Any], run: JobRun) -> None:
        """The scheduled "Hvordan gikk det?" — once per follow-up, whatever restarts happen."""
        follow_up_id = int(payload["follow_up_id"])
        async with self.bot.db.session() as s:
            ideas = Ideas(s)
            follow_up = await ideas.get_follow_up(follow_up_id)
            if follow_up is None or follow_up.status != FollowUpStatus.PENDING:
                return
            adoption = await ideas.get_adoption(follow_up.adoption_id)
            member = await Members(s).get(adoption.member_id) if adoption else None
            idea = await s.get(PracticeIdea, adoption.idea_id) if adoption else None
            if adoption is None or member is None or idea is None:
                return
            network = await Networks(s).get(member.network_id)
        t = self.bot.translator_for(member, network)
        await self.bot.send_dm(member, cards.follow_up(t, idea), key=f"{FOLLOW_UP_JOB}:{follow_up_id}")
        async with self.bot.db.session() as s:
            row = await Ideas(s).get_follow_up(follow_up_id)
            if row is not None and row.status == FollowUpStatus.PENDING:
                row.status, row.sent_at = FollowUpStatus.SENT, self.bot.clock.now()

    async def _close_follow_ups(self, s: Any, adoption: Adoption) -> None:
        for follow_up in await Ideas(s).open_follow_ups(adoption.id):
            if follow_up.status == FollowUpStatus.PENDING:
                await self.bot.scheduler.cancel(f"{FOLLOW_UP_JOB}:{follow_up.id}", session=s)
                follow_up.status = FollowUpStatus.CANCELLED
            else:
                follow_up.status = FollowUpStatus.DONE

    @staticmethod
    async def _idea_and_adoption(
        s: Any, network: Network, member: Member, idea_id: int
    ) -> tuple[PracticeIdea, Adoption | None]:
        found = await Ideas(s).with_adoption(network.id, idea_id, member.id)
        if found is None:
            raise no_such_idea(idea_id)
        return found

    async def _add_follow_up(self, s: Any, adoption_id: int, due: datetime) -> None:
        follow_up_id = await Ideas(s).add_follow_up(adoption_id, due)
        # The key holds the follow-up's new id, so no job can have it yet.
        await self.bot.scheduler.add(
            FOLLOW_UP_JOB, due, {"follow_up_id": follow_up_id}, key=f"{FOLLOW_UP_JOB}:{follow_up_id}", session=s
        )

    async def _own_adoption(self, s: Any, network: Network, member: Member, idea_id: int) -> Adoption:
        _idea, adoption = await self._idea_and_adoption(s, network, member, idea_id)
        if adoption is None:
            raise IdeaError("You are not trying idea {id}. Start with /ide prøv {id}.", id=idea_id)
        return adoption

    async def snooze(self, network: Network, member: Member, idea_id: int) -> datetime:
        due = self.bot.clock.now() + SNOOZE
        async with self.bot.db.session() as s:
            adoption = await self._own_adoption(s, network, member, idea_id)
            await self._close_follow_ups(s, adoption)
            adoption.status = AdoptionStatus.TRYING
            await self._add_follow_up(s, adoption.id, due)
        return due

    async def not_yet(self, network: Network, member: Member, idea_id: int) -> None:
        async with self.bot.db.session() as s:
            adoption = await self._own_adoption(s, network, member, idea_id)
            await self._close_follow_ups(s, adoption)
            adoption.status = AdoptionStatus.NOT_YET

    async def report(
        self, network: Network, member: Member, idea_id: int, did: str, changed: str = "", happened: str = ""
    ) -> tuple[ExperienceReport, PracticeIdea]:
        did = check_text(did, MAX_REPORT_FIELD_LENGTH, "Tell briefly what you did: /ide rapport <number> <text>")
        changed = check_length(changed.strip(), MAX_REPORT_FIELD_LENGTH)
        happened = check_length(happened.strip(), MAX_REPORT_FIELD_LENGTH)
        now = self.bot.clock.now()
        async with self.bot.db.session() as s:
            ideas = Ideas(s)
            idea, adoption = await self._idea_and_adoption(s, network, member, idea_id)
            if adoption is not None:
                await self._close_follow_ups(s, adoption)
                adoption.status = AdoptionStatus.REPORTED
            elif idea.author_id != member.id:  # reported without saying "I'll try this" first
                await ideas.adopt(idea.id, member.id, now, AdoptionStatus.REPORTED)
            report = await ideas.add_report(idea.id, member.id, did, changed, happened, now)
            author = await Members(s).get(idea.author_id)
        await self._spread_report(network, member, author, idea, report)
        return report, idea

    async def delete(self, network: Network, member: Member, idea_id: int, confirmed: bool) -> int:
        """Delete one's own idea. Others' tries and reports go with it, so while there are any it waits
        for `confirmed`: returns how many colleagues it concerns (0 when deleted)."""
        async with self.bot.db.session() as s:
            ideas = Ideas(s)
            idea, _own = await self._idea_and_adoption(s, network, member, idea_id)
            if idea.author_id != member.id:
                raise IdeaError("Only the one who shared idea {id} can delete it.", id=idea_id)
            adoptions = await ideas.adoptions_for(idea.id)
            others = {a.member_id for a in adoptions if a.member_id != member.id}
            if others and not confirmed:
                return len(others)
            for adoption in adoptions:
                await self._close_follow_ups(s, adoption)  # no "how did it go?" about an idea that is gone
            await ideas.delete_idea(idea.id)
        return 0

    async def delete_report(self, network: Network, member: Member, idea_id: int) -> None:
        async with self.bot.db.session() as s:
            _idea, adoption = await self._idea_and_adoption(s, network, member, idea_id)
            if not await Ideas(s).delete_reports(idea_id, member.id):
                raise IdeaError("You have no report on idea {id}.", id=idea_id)
            if adoption is not None and adoption.status == AdoptionStatus.REPORTED:
                adoption.status = AdoptionStatus.NOT_YET  # tried, no longer reported; nobody asks again

    async def _spread_report(
        self, network: Network, reporter: Member, author: Member | None, idea: PracticeIdea, report: ExperienceReport
    ) -> None:
        """The report flows back: into the idea's thread, and to the idea's author."""
        t = self.bot.translator_for(None, network)
        if idea.posted_in and idea.posted_message_id:
            thread = Conversation.from_dict(idea.posted_in).in_thread(idea.posted_message_id)
            await self.bot.outbox.deliver(
                f"ideas.report:{report.id}:thread",
                Destination.channel(thread),
                cards.report(t, idea, report, reporter),
                notify_member_id=reporter.id,
            )
        if author is not None and author.id != reporter.id:
            ta = self.bot.translator_for(author, network)
            await self.bot.send_dm(
                author, cards.report_to_author(ta, idea, report, reporter), key=f"ideas.report:{report.id}:author"
            )

    # -- personal data and home --------------------------------------------------------------
    async def export(self, s: Any, member: Member) -> dict[str, Any]:
        ideas = Ideas(s)
        return {
            "ideas": [
                {"id": i.id, "text": i.text, "tags": i.tags, "created_at": i.created_at.isoformat()}
                for i in await ideas.by_author(member.id)
            ],
            "trying": [
                {"idea_id": a.idea_id, "status": a.status.value, "since": a.created_at.isoformat()}
                for a, _ in await ideas.adoptions_of(member.id)
            ],
            "follow_ups": [
                {"idea_id": i.id, "due_at": f.due_at.isoformat(), "status": f.status.value}
                for f, i in await ideas.follow_ups_of(member.id)
            ],
            "reports": [
                {
                    "idea_id": r.idea_id,
                    "what_we_did": r.what_we_did,
                    "what_we_changed": r.what_we_changed,
                    "what_happened": r.what_happened,
                    "created_at": r.created_at.isoformat(),
                }
                for r in await ideas.reports_by(member.id)
            ],
        }

    async def home(self, member: Member, t: Any) -> list[Any]:
        async with self.bot.db.session() as s:
            ideas = Ideas(s)
            mine = await ideas.by_author(member.id)
            trying = await ideas.adoptions_of(member.id)
            follow_ups = [(f, i) for f, i in await ideas.follow_ups_of(member.id) if f.status == FollowUpStatus.PENDING]
        return cards.home(t, mine, trying, follow_ups)
