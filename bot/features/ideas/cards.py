"""How ideas, follow-ups and reports look: core messages, the same on every platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.messages import Button, Buttons, ContextLine, Divider, Form, FormField, Message, Part, Section, Text
from bot.times import format_day
from storage.models.core import Member
from storage.models.ideas import Adoption, AdoptionStatus, ExperienceReport, FollowUp, PracticeIdea
from storage.repositories.ideas import IdeaSummary

ADOPT = "ideas.adopt"
REPORT = "ideas.report"  # opens the report form
SNOOZE = "ideas.snooze"
NOT_YET = "ideas.not_yet"
SHOW = "ideas.show"
REPORT_FORM = "ideas.report"
NEW_IDEA_FORM = "ideas.new"


def local_date(t: Translator, moment: datetime, timezone: str = "Europe/Oslo") -> str:
    return format_day(moment, ZoneInfo(timezone), t.language)


def idea_card(t: Translator, summary: IdeaSummary) -> Message:
    idea = summary.idea
    parts: list[Part] = [
        Section(
            t.t("*Idea {id}* from {name}, {school}", id=idea.id, name=summary.author_name, school=summary.author_school)
        ),
        Text(idea.text),
    ]
    status = []
    if summary.trying:
        status.append(t.tn("{n} is trying this", "{n} are trying this", summary.trying))
    if summary.reports:
        status.append(t.tn("{n} report", "{n} reports", summary.reports))
    if idea.tags:
        status.append(" ".join(f"#{tag}" for tag in idea.tags))
    if status:
        parts.append(ContextLine(" · ".join(status)))
    parts.append(
        Buttons(
            (
                Button(t.t("I'll try this"), ADOPT, str(idea.id), "primary"),
                Button(t.t("Report how it went"), REPORT, str(idea.id)),
            )
        )
    )
    parts.append(ContextLine(t.t("Or type /ide prøv {id} · /ide rapport {id} <text>", id=idea.id)))
    return Message(tuple(parts), t.t("Idea {id}: {text}", id=idea.id, text=idea.text[:100]))


def idea_list(t: Translator, summaries: list[IdeaSummary], search: str) -> Message:
    if not summaries:
        if search:
            return Message.text(
                t.t("No ideas match \u201c{search}\u201d. Try another word, or see all with /ideer.", search=search)
            )
        return Message.text(t.t("No ideas yet. Be the first: /ide <something you have tried>"))
    title = t.t("Ideas matching \u201c{search}\u201d", search=search) if search else t.t("The newest ideas")
    parts: list[Part] = [Section(title)]
    for summary in summaries:
        idea = summary.idea
        line = t.t("*{id}.* {text}", id=idea.id, text=_shorten(idea.text, 280))
        meta = t.t("{name}, {school}", name=summary.author_name, school=summary.author_school)
        if summary.trying:
            meta += " · " + t.tn("{n} is trying this", "{n} are trying this", summary.trying)
        if summary.reports:
            meta += " · " + t.tn("{n} report", "{n} reports", summary.reports)
        parts += [
            Text(line),
            ContextLine(meta),
            Buttons((Button(t.t("I'll try this"), ADOPT, str(idea.id)), Button(t.t("Show"), SHOW, str(idea.id)))),
        ]
    parts.append(ContextLine(t.t("/ide vis <number> shows an idea with its reports.")))
    return Message(tuple(parts), title)


def idea_with_reports(t: Translator, summary: IdeaSummary, reports: list[tuple[ExperienceReport, Member]]) -> Message:
    card = idea_card(t, summary)
    parts = list(card.parts)
    if reports:
        parts.append(Divider())
        for report, member in reports:
            parts.extend(_report_parts(t, report, member))
    return Message(tuple(parts), card.summary)


def adopted(t: Translator, idea_id: int, follow_up_at: datetime, timezone: str) -> Message:
    return Message.of(
        Text(t.t("Great, you are trying idea {id}! Adapt it to your school — that is the point.", id=idea_id)),
        ContextLine(
            t.t(
                "I will ask you how it went on {date}. Report earlier with /ide rapport {id} <text>.",
                date=local_date(t, follow_up_at, timezone),
                id=idea_id,
            )
        ),
    )


def follow_up(t: Translator, idea: PracticeIdea) -> Message:
    value = str(idea.id)
    return Message.of(
        Section(t.t("How did it go?")),
        Text(t.t("You were going to try idea {id}: \u201c{text}\u201d", id=idea.id, text=_shorten(idea.text, 300))),
        Text(
            t.t(
                "Tell the network briefly what you did, what you changed from the original, and what happened. "
                "Others learn from what did not work too."
            )
        ),
        Buttons(
            (
                Button(t.t("Write a report"), REPORT, value, "primary"),
                Button(t.t("Ask me in a week"), SNOOZE, value),
                Button(t.t("Not tried yet"), NOT_YET, value),
            )
        ),
        ContextLine(t.t("Or type /ide rapport {id} <text> · /ide utsett {id} · /ide ikke-ennå {id}", id=idea.id)),
        summary=t.t("How did it go with idea {id}?", id=idea.id),
    )


MAX_IDEA_LENGTH = 2000
REPORT_FIELD_LIMIT = 2000
REPORT_LIMITS = {"did": REPORT_FIELD_LIMIT, "changed": REPORT_FIELD_LIMIT, "happened": REPORT_FIELD_LIMIT}


def report_form_fields(t: Translator) -> tuple[Any, ...]:
    from bot.messages import FormField

    return (
        FormField("did", t.t("What did you do?"), "long_text", max_length=REPORT_LIMITS["did"]),
        FormField(
            "changed",
            t.t("What did you change from the original?"),
            "long_text",
            required=False,
            max_length=REPORT_LIMITS["changed"],
        ),
        FormField("happened", t.t("What happened?"), "long_text", required=False, max_length=REPORT_LIMITS["happened"]),
    )


def _report_parts(t: Translator, report: ExperienceReport, member: Member) -> list[Part]:
    fields = [(t.t("What we did"), report.what_we_did)]
    if report.what_we_changed:
        fields.append((t.t("What we changed"), report.what_we_changed))
    if report.what_happened:
        fields.append((t.t("What happened"), report.what_happened))
    return [
        Section(t.t("*Report* from {name}, {school}", name=member.display_name, school=member.school), tuple(fields))
    ]


def report(t: Translator, idea: PracticeIdea, report: ExperienceReport, reporter: Member) -> Message:
    return Message(
        tuple(_report_parts(t, report, reporter)),
        t.t("{name} reported on idea {id}", name=reporter.display_name, id=idea.id),
    )


def report_to_author(t: Translator, idea: PracticeIdea, rep: ExperienceReport, reporter: Member) -> Message:
    parts = [
        Text(
            t.t(
                "{name} from {school} tried your idea {id} and reported back:",
                name=reporter.display_name,
                school=reporter.school,
                id=idea.id,
            )
        ),
        *_report_parts(t, rep, reporter),
        ContextLine(t.t("This is how the network learns: inspiration, trying, telling. Thank you for sharing.")),
    ]
    return Message(tuple(parts), t.t("{name} reported on your idea {id}", name=reporter.display_name, id=idea.id))


def home(
    t: Translator,
    mine: list[PracticeIdea],
    trying: list[tuple[Adoption, PracticeIdea]],
    follow_ups: list[tuple[FollowUp, PracticeIdea]],
) -> list[Part]:
    parts: list[Part] = [Divider(), Section(t.t("My ideas"))]
    parts.append(Text("\n".join(f"{i.id}. {_shorten(i.text, 120)}" for i in mine) if mine else t.t("None yet.")))
    parts.append(Section(t.t("Ideas I am trying")))
    active = [(a, i) for a, i in trying if a.status != AdoptionStatus.REPORTED]
    parts.append(Text("\n".join(f"{i.id}. {_shorten(i.text, 120)}" for _, i in active) if active else t.t("None yet.")))
    if follow_ups:
        parts.append(
            ContextLine(
                " · ".join(
                    t.t("I ask about idea {id} on {date}", id=i.id, date=local_date(t, f.due_at)) for f, i in follow_ups
                )
            )
        )
    return parts


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def new_idea_form(t: Translator) -> Form:
    return Form(
        NEW_IDEA_FORM,
        t.t("Share a practice idea"),
        (
            FormField(
                "text",
                t.t("What did you try, and why?"),
                "long_text",
                max_length=MAX_IDEA_LENGTH,
                hint=t.t("Add tags like #elevråd or #friminutt"),
            ),
        ),
        submit_label=t.t("Share"),
        notice=t.t("Do not write names or anything else that can identify a student."),
    )


def report_form(t: Translator, idea_id: int) -> Form:
    return Form(
        REPORT_FORM,
        t.t("How did it go? (idea {id})", id=idea_id),
        report_form_fields(t),
        submit_label=t.t("Share the report"),
        state=str(idea_id),
        notice=t.t("Do not write names or anything else that can identify a student."),
    )
