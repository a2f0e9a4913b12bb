"""The leaders' overview as HTML (Jinja2 templates, SVG charts) and as CSV, in the leader's language."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from adapters.web import svg
from bot.features.oversikt.figures import PERIODS, Figures, weeks_of
from bot.i18n import N_, Translator, translator
from bot.times import format_calendar_day, format_when

TEMPLATES = Path(__file__).parent / "templates"
PAGE_PATH = "/leder/oversikt"
TITLE_CHARS = 80

PERIOD_NAMES = {"term": N_("This term"), "last-term": N_("Last term"), "year": N_("This school year")}
PLANNED_NAMES = {
    "samlinger.reminder": N_("Reminder to bring a story of what they tried"),
    "samlinger.after": N_("Thanks for the last meeting: what will you try?"),
    "samlinger.midway": N_("Halfway: how is it going with what you try?"),
}
# The tables beside the charts, each also a CSV download.
TABLES = ("funnel", "weeks", "travelled", "gatherings", "participation")


@cache
def environment(language: str) -> Environment:
    """One environment per language, with the bot's translations through Jinja2's i18n extension."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    t = translator(language)
    env.install_gettext_callables(t.t, t.tn, newstyle=False)  # type: ignore[attr-defined]
    return env


def render(template: str, language: str, **values: Any) -> str:
    return environment(language).get_template(template).render(language=language, **values)


def message_page(language: str, title: str, text: str) -> str:
    """A plain page: an expired or altered link, or no access (the texts are msgids)."""
    t = translator(language)
    return render("message.html", t.language, title=t.t(title), text=t.t(text))


@dataclass(frozen=True)
class Table:
    name: str  # also the CSV's file name
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


class View:
    """What the overview template shows, with the numbers already in the leader's words."""

    def __init__(self, figures: Figures, t: Translator, tz: ZoneInfo, now: datetime, network: str) -> None:
        self.f, self.t, self.tz, self.now, self.network = figures, t, tz, now, network

    # -- words and dates ----------------------------------------------------------------------------
    # The same date formats as in the chat (bot/times.py), nynorsk's too.
    def day(self, day: date) -> str:
        return format_calendar_day(day, self.t.language)

    def moment(self, moment: datetime) -> str:
        return format_when(moment, self.tz, self.t.language, self.now)

    def week(self, monday: date) -> str:
        return self.t.t("week {n}", n=monday.isocalendar().week)

    def period_label(self) -> str:
        p = self.f.period
        return f"{self.day(p.start)} – {self.day(p.end - timedelta(days=1))}"

    def periods(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "name": self.t.t(PERIOD_NAMES[key]),
                "url": f"{PAGE_PATH}?period={key}",
                "current": key == self.f.period.key,
            }
            for key in PERIODS
        ]

    def csv_url(self, name: str) -> str:
        return f"{PAGE_PATH}/{name}.csv?period={self.f.period.key}"

    # -- tables ----------------------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        return getattr(self, f"_{name}")()

    def _funnel(self) -> Table:
        c, t = self.f.circle, self.t.t
        return Table(
            "funnel",
            (t("Step"), t("Number")),
            (
                (t("Ideas shared"), c.shared),
                (t("Tries (“I'll try this”)"), c.tried),
                (t("Reports of how it went"), c.reported),
                (t("Tries begun this period that came back with a report"), c.tries_reported),
                (t("Ideas tried at another school"), c.crossed_ideas),
                (t("Tries at another school than the idea's"), c.crossings),
            ),
        )

    def _weeks(self) -> Table:
        t = self.t.t
        return Table(
            "weeks",
            (t("Week"), t("Monday"), t("Ideas shared"), t("Tries"), t("Reports")),
            tuple((self.week(w.monday), w.monday.isoformat(), w.shared, w.tried, w.reported) for w in self.f.weeks),
        )

    def _travelled(self) -> Table:
        t = self.t.t
        return Table(
            "travelled",
            (t("Idea"), t("Other schools that tried it")),
            tuple((_shorten(x.title), x.schools) for x in self.f.travelled),
        )

    def _gatherings(self) -> Table:
        g, t = self.f.gatherings, self.t.t
        share = "–" if g.met_share is None else f"{g.met_share * 100:.0f} %"
        return Table(
            "gatherings",
            (t("What"), t("Number")),
            (
                (t("Kritisk venn rounds held"), g.kv_held),
                (t("Kritisk venn rounds completed"), g.kv_completed),
                (t("Samsnakk rounds held"), g.rounds_held),
                (t("Samsnakk pairs"), g.pairs),
                (t("Pairs that met"), g.pairs_met),
                (t("Share of pairs that met"), share),
                (t("Samsnakk calls held"), g.calls_held),
                (t("Digest issues sent"), g.issues_sent),
            ),
        )

    def school_name(self, school: str) -> str:
        return school or self.t.t("Smaller schools together")

    def _participation(self) -> Table:
        p, t = self.f.participation, self.t.t
        return Table(
            "participation",
            (t("School"), t("Members"), *(self.week(w) for w in p.weeks)),
            tuple((self.school_name(r.school), r.members, *(f"{s * 100:.0f} %" for s in r.shares)) for r in p.schools),
        )

    # -- charts ----------------------------------------------------------------------------------------
    def funnel_chart(self) -> Markup:
        c, t = self.f.circle, self.t.t
        rows = [(t("Ideas shared"), c.shared), (t("Tries"), c.tried), (t("Reports"), c.reported)]
        return Markup(svg.bars("funnel-chart", t("From idea to try to report"), rows))

    def weeks_chart(self) -> Markup:
        t, weeks = self.t.t, self.f.weeks
        # The axis spans the whole period, so the meetings still to come show ahead of the lines.
        axis = weeks_of(self.f.period, self.f.period.end)
        labels = [str(monday.isocalendar().week) for monday in axis]
        series = [
            svg.Series(t("Ideas shared"), [w.shared for w in weeks]),
            svg.Series(t("Tries"), [w.tried for w in weeks]),
            svg.Series(t("Reports"), [w.reported for w in weeks]),
        ]
        index = {monday: n for n, monday in enumerate(axis)}
        marks = [
            (index[monday_of(day)], t("Meeting {date}", date=self.day(day)))
            for day in self.f.milestones
            if monday_of(day) in index
        ]
        return Markup(svg.lines("weeks-chart", t("The circle week by week"), labels, series, marks))

    def gatherings_chart(self) -> Markup:
        g, t = self.f.gatherings, self.t.t
        rows = [
            (t("Kritisk venn rounds held"), g.kv_held),
            (t("Kritisk venn rounds completed"), g.kv_completed),
            (t("Samsnakk rounds held"), g.rounds_held),
            (t("Pairs that met"), g.pairs_met),
            (t("Samsnakk calls held"), g.calls_held),
            (t("Digest issues sent"), g.issues_sent),
        ]
        chart = svg.bars("gatherings-chart", t("Rounds, talks and digests"), rows, colour=svg.SERIES[2])
        return Markup(chart)  # every text in it is escaped by the renderer

    def participation_chart(self) -> Markup:
        p, t = self.f.participation, self.t.t
        columns = [str(w.isocalendar().week) for w in p.weeks]
        rows = [(self.school_name(r.school), r.shares) for r in p.schools]
        title = t("Share of each school's members taking part, by week")
        return Markup(svg.heatmap("participation-chart", title, columns, rows))

    # -- the coming meetings -------------------------------------------------------------------------
    def coming(self) -> list[dict[str, Any]]:
        return [
            {
                "when": self.moment(c.starts_at),
                "planned": [(self.moment(at), self.t.t(PLANNED_NAMES.get(kind, kind))) for kind, at in c.planned],
            }
            for c in self.f.coming
        ]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _shorten(text: str) -> str:
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


def overview_page(view: View) -> str:
    tables = {name: view.table(name) for name in TABLES}
    return render("overview.html", view.t.language, view=view, f=view.f, tables=tables)


# A cell a spreadsheet would run as a formula (a school's name is typed by members).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in table.header])
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return out.getvalue()
