"""Building a digest: a plain, JSON-able snapshot of the week, and its rendering as a Message.

The snapshot is what gets published and kept, so every channel, every retry and `/digest`
show the same digest, and a leader can remove an item from it later. Rendering happens in the
network's language, with dates formatted for that language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot import times
from bot.features.digest.urls import title_from_url
from bot.i18n import N_, Translator
from bot.messages import Button, Buttons, ContextLine, Divider, Link, Links, Message, Part, Section, Text
from bot.times import DatePattern, at_local
from storage.models.core import LearningNote
from storage.models.digest import DigestFeed
from storage.models.samlinger import Samling
from storage.repositories.digest import IdeaRow, ReportRow, ShareRow

if TYPE_CHECKING:
    from bot.features.digest.issues import Published

LIMITS = {"recommended": 8, "popular": 5, "sources": 5, "ideas": 8, "reports": 8, "notes": 5}
SECTION_TITLES = {
    "recommended": N_("Recommended by the network leaders"),
    "popular": N_("Most shared and discussed in the network"),
    "sources": N_("New from our sources"),
    "ideas": N_("New practice ideas"),
    "reports": N_("Experience reports: how it went"),
    "notes": N_("Learning notes"),
}
NOTE_SOURCES = {"kritisk_venn": N_("from a critical-friend talk"), "samsnakk": N_("from a samsnakk")}


@dataclass(frozen=True)
class Week:
    period: str
    start: datetime
    end: datetime


def period_of(moment: datetime, timezone: str) -> str:
    """The ISO week `moment` falls in, in the network's time zone: "2026-W38"."""
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_covered(start: datetime, end: datetime, timezone: str) -> str:
    """The week number(s) a digest covers, "37" or "37–38": the ISO weeks holding at least half a
    week of its window (else the one holding most). A Monday digest covers the week before it, not
    the week it is sent in; a window stretched by a skipped week or downtime names both weeks."""
    tz = ZoneInfo(timezone)
    spans: dict[tuple[int, int], timedelta] = {}
    cursor = start
    while cursor < end:
        local = cursor.astimezone(tz)
        monday = local.date() - timedelta(days=local.weekday())
        piece_end = min(end, at_local(monday + timedelta(days=7), time(0), tz))
        year, week, _ = local.isocalendar()
        spans[(year, week)] = spans.get((year, week), timedelta()) + (piece_end - cursor)
        cursor = piece_end
    if not spans:
        return str(start.astimezone(tz).isocalendar()[1])
    weeks = [w for w, span in spans.items() if span >= timedelta(days=3.5)] or [max(spans, key=lambda w: spans[w])]
    first, last = weeks[0][1], weeks[-1][1]
    return str(first) if first == last else f"{first}–{last}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_content(
    week: Week,
    *,
    intro: str,
    removed: Sequence[str],
    shares: Sequence[ShareRow],
    ideas: Sequence[IdeaRow],
    reports: Sequence[ReportRow],
    notes: Sequence[LearningNote],
    next_meeting: Samling | None = None,
) -> dict[str, Any]:
    """The digest for `week` as plain data; sections without items are left out."""
    hidden = set(removed)
    articles: dict[int, dict[str, Any]] = {}
    for row in shares:
        ref = f"a:{row.article.id}"
        if ref in hidden:
            continue
        item = articles.get(row.article.id)
        if item is None:
            item = articles[row.article.id] = _article_item(row)
        if row.share.member_id is not None:
            item["sharers"].append(
                {
                    "member_id": row.share.member_id,
                    "name": row.member_name,
                    "comment": _short(row.share.comment, 280),
                    "leader": row.share.recommended,
                }
            )
            item["recommended"] = item["recommended"] or row.share.recommended
        elif row.feed_title and row.feed_title not in item["feeds"]:
            item["feeds"].append(row.feed_title)
    everything = list(articles.values())
    recommended = [a for a in everything if a["recommended"]]
    popular = sorted(
        (a for a in everything if not a["recommended"] and a["sharers"]),
        key=lambda a: (-(len(a["sharers"]) + sum(1 for s in a["sharers"] if s["comment"])), a["first"]),
    )
    from_sources = sorted(
        (a for a in everything if not a["sharers"]), key=lambda a: a["published"] or a["first"], reverse=True
    )
    sections = [
        ("recommended", recommended),
        ("popular", popular),
        ("sources", from_sources),
        ("ideas", [_idea_item(r) for r in ideas if f"i:{r.idea.id}" not in hidden]),
        ("reports", [_report_item(r) for r in reports if f"r:{r.report.id}" not in hidden]),
        ("notes", [_note_item(n) for n in notes if f"n:{n.id}" not in hidden]),
    ]
    return {
        "period": week.period,
        "start": week.start.isoformat(),
        "end": week.end.isoformat(),
        "intro": intro,
        "sections": [_section(kind, items) for kind, items in sections if items],
        # The digest points ahead to the meeting its reading leads up to.
        "next_meeting": (
            {"starts_at": next_meeting.starts_at.isoformat(), "about": next_meeting.about} if next_meeting else None
        ),
    }


def _section(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A section shows its first LIMITS[kind] items in full; the rest follow in one line each
    ("more"), so that no shared link or idea of the week is left out of the digest."""
    section: dict[str, Any] = {"kind": kind, "items": items[: LIMITS[kind]]}
    if rest := items[LIMITS[kind] :]:
        section["more"] = rest
    return section


def _article_item(row: ShareRow) -> dict[str, Any]:
    article = row.article
    return {
        "ref": f"a:{article.id}",
        "url": article.url,
        # A page not read (yet) is still shown: titled from its address, with its host as the site.
        "title": article.title or title_from_url(article.url),
        "description": _short(article.description, 240),
        "site": article.site_name or (urlsplit(article.url).hostname or ""),
        "published": article.published_at.isoformat() if article.published_at else None,
        "unreadable": article.fetch_status == "failed",
        "sharers": [],
        "feeds": [],
        "recommended": False,
        "first": row.share.created_at.isoformat(),
    }


def _idea_item(row: IdeaRow) -> dict[str, Any]:
    return {"ref": f"i:{row.idea.id}", "text": _short(row.idea.text, 300), "author_id": row.idea.author_id,
            "author": row.author_name, "school": row.author_school}  # fmt: skip


def _report_item(row: ReportRow) -> dict[str, Any]:
    report = row.report
    told = report.what_happened or report.what_we_did
    return {"ref": f"r:{report.id}", "idea": _short(row.idea_text, 120), "text": _short(told, 300),
            "author_id": report.member_id, "author": row.author_name, "school": row.author_school}  # fmt: skip


def _note_item(note: LearningNote) -> dict[str, Any]:
    # Notes come from personal reflection; the digest shares the learning, not who wrote it.
    return {"ref": f"n:{note.id}", "text": _short(note.text, 400), "source": note.source, "author_id": note.member_id}


def items_in_order(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item as numbered in a preview (1, 2, ...), for `/digest fjern N`."""
    return [item for section in content["sections"] for item in section["items"]]


def is_empty(content: dict[str, Any]) -> bool:
    return not content["sections"]


def _filtered(content: dict[str, Any], keep: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
    """The snapshot with each item (shown or in "more") replaced by keep(item), or left out on None."""
    sections = []
    for section in content["sections"]:
        items = [kept for item in section["items"] if (kept := keep(item)) is not None]
        more = [kept for item in section.get("more", ()) if (kept := keep(item)) is not None]
        if not items:  # every item shown in full went: those listed after them move up
            items, more = more, []
        if items:
            sections.append({"kind": section["kind"], "items": items, **({"more": more} if more else {})})
    return {**content, "sections": sections}


def without_item(content: dict[str, Any], ref: str) -> dict[str, Any]:
    return _filtered(content, lambda item: None if item["ref"] == ref else item)


def without_member(content: dict[str, Any], member_id: int) -> dict[str, Any]:
    """The snapshot with a member's name, comments and contributions taken out (erasure)."""

    def keep(item: dict[str, Any]) -> dict[str, Any] | None:
        if item.get("author_id") == member_id:
            return None
        if "sharers" in item:
            sharers = [s for s in item["sharers"] if s["member_id"] != member_id]
            if not sharers and not item["feeds"]:
                return None
            return {**item, "sharers": sharers}
        return item

    return _filtered(content, keep)


def item_label(item: dict[str, Any]) -> str:
    return item.get("title") or item.get("text") or item.get("url") or item["ref"]


# -- rendering ---------------------------------------------------------------------------------
def format_day(moment: datetime, timezone: str, language: str, pattern: DatePattern = "long") -> str:
    """A date in the network's time zone and language: "14. september 2026" / "14 September 2026"."""
    return times.format_day(moment, ZoneInfo(timezone), language, pattern)


def format_moment(moment: datetime, timezone: str, language: str) -> str:
    """A weekday, date and time in the network's time zone: "mandag 14. september kl. 08:00"."""
    return times.format_moment(moment, ZoneInfo(timezone), language)


def render(
    content: dict[str, Any],
    t: Translator,
    *,
    network_name: str,
    timezone: str,
    preview: bool = False,
    numbered: bool = False,
) -> Message:
    """The digest as a message; a preview (and a leader's view) numbers the items for `fjern`."""
    numbered = numbered or preview
    start = datetime.fromisoformat(content["start"])
    end = datetime.fromisoformat(content["end"])
    week = weeks_covered(start, end, timezone)
    heading = t.t("*Digest for {network}, week {week}*", network=network_name, week=week)
    span = t.t("What happened from {start} to {end}",
               start=format_day(start, timezone, t.language, "day_month"),
               end=format_day(end, timezone, t.language))  # fmt: skip
    if start.astimezone(ZoneInfo(timezone)).date() == end.astimezone(ZoneInfo(timezone)).date():
        span = t.t("What happened on {day}", day=format_day(end, timezone, t.language))
    parts: list[Part] = []
    if preview:
        parts.append(ContextLine(t.t("Preview — only you see this. Nothing has been sent yet.")))
    parts += [Section(heading), ContextLine(span)]
    if content.get("intro"):
        parts.append(Text(content["intro"]))
    if meeting := content.get("next_meeting"):
        when = format_moment(datetime.fromisoformat(meeting["starts_at"]), timezone, t.language)
        if meeting["about"]:
            when += " — " + meeting["about"]
        parts.append(ContextLine(t.t("Next network meeting: {when}", when=when)))
    number = 0
    for section in content["sections"]:
        parts.append(Divider())
        parts.append(Text(f"*{t.t(SECTION_TITLES[section['kind']])}*"))
        if section["kind"] in ("recommended", "popular", "sources"):
            links = []
            for item in section["items"]:
                number += 1
                prefix = f"{number}. " if numbered else ""
                links.append(Link(prefix + item["title"], item["url"], _article_line(item, t, timezone)))
            parts.append(Links(tuple(links)))
        else:
            lines = []
            for item in section["items"]:
                number += 1
                prefix = f"{number}. " if numbered else "• "
                lines.append(prefix + _text_line(section["kind"], item, t))
            parts.append(Text("\n".join(lines)))
        if more := section.get("more"):
            parts.extend(_more_parts(section["kind"], more, t))
    parts.append(Divider())
    if preview:
        parts.append(ContextLine(t.t("Remove an item with /digest fjern <number>; write an introduction with "
                                     "/digest intro <text>.")))  # fmt: skip
        parts.append(Buttons((Button(t.t("Publish now"), "digest.publish", style="primary"),
                              Button(t.t("Skip this week"), "digest.skip"))))  # fmt: skip
    elif numbered:
        parts.append(ContextLine(t.t("Remove an item from this digest, also where it was sent, with "
                                     "/digest fjern siste <number>.")))  # fmt: skip
    else:
        parts.append(ContextLine(t.t("Share a link with the network: /del <link> [comment]. "
                                     "See the latest digest any time with /digest.")))  # fmt: skip
    return Message(tuple(parts), t.t("Digest for {network}, week {week}", network=network_name, week=week))


def _more_parts(kind: str, more: list[dict[str, Any]], t: Translator) -> list[Part]:
    """The items past a section's limit, one short line each: shown, never dropped."""
    heading = ContextLine(t.t("And {n} more:", n=len(more)))
    if kind in ("recommended", "popular", "sources"):
        return [heading, Links(tuple(Link(item["title"], item["url"]) for item in more))]
    return [heading, Text("\n".join("• " + _short(_text_line(kind, item, t), 120) for item in more))]


def _article_line(item: dict[str, Any], t: Translator, timezone: str) -> str:
    bits: list[str] = []
    if item.get("site") and item["site"] != item["title"]:
        bits.append(item["site"])
    if item.get("published"):
        bits.append(format_day(datetime.fromisoformat(item["published"]), timezone, t.language, "short"))
    if item.get("unreadable"):
        bits.append(t.t("could not be previewed"))
    line = " · ".join(bits)
    if item.get("description"):
        line = f"{line} — {item['description']}" if line else item["description"]
    who = []
    for sharer in item["sharers"]:
        name = sharer["name"] or t.t("a member")
        who.append(t.t('{name}: "{comment}"', name=name, comment=sharer["comment"]) if sharer["comment"] else name)
    if who:
        line += ("\n" if line else "") + t.t("Shared by {who}", who="; ".join(who))
    if item["feeds"]:
        line += ("\n" if line else "") + t.t("From {feeds}", feeds=", ".join(item["feeds"]))
    return line


def _text_line(kind: str, item: dict[str, Any], t: Translator) -> str:
    if kind == "ideas":
        return t.t("{text} — {name}, {school}", text=item["text"], name=item["author"], school=item["school"])
    if kind == "reports":
        return t.t("{name} ({school}) tried «{idea}»: {text}", name=item["author"], school=item["school"],
                   idea=item["idea"], text=item["text"])  # fmt: skip
    source = NOTE_SOURCES.get(item.get("source", ""))
    return f"{item['text']} ({t.t(source)})" if source else item["text"]


def published(t: Translator, result: Published, last_published: str | None) -> str:
    """What a leader hears after publishing now; `last_published` says when, if nothing new came since."""
    if result.status == "empty" and last_published:
        return t.t("The digest was published {when}, and nothing new has come since, so nothing was sent.",
                   when=last_published)  # fmt: skip
    if result.status == "empty":
        return t.t("There is nothing for the digest yet, so nothing was sent.")
    if result.status == "already":
        return t.t("This digest was published already; nothing was sent twice.")
    text = t.tn("Published: the digest went to {n} place.", "Published: the digest went to {n} places.", result.sent)
    if result.pending:
        text += " " + t.tn("{n} more will get it as soon as the platform lets me.",
                           "{n} more will get it as soon as the platform lets me.", result.pending)  # fmt: skip
    return text


def sources(t: Translator, listed: Sequence[DigestFeed]) -> Message:
    """The network's feeds, numbered for /digest kilde fjern, with any that keep failing marked."""
    if not listed:
        return Message.text(t.t("No sources yet. Add an RSS or Atom feed with /digest kilde legg-til <url>."))
    lines = []
    for number, feed in enumerate(listed, start=1):
        line = f"{number}. {feed.title} <{feed.url}>"
        if feed.failures:
            line += " — " + t.tn("failed {n} time in a row ({reason})", "failed {n} times in a row ({reason})",
                                 feed.failures, reason=feed.last_error or "?")  # fmt: skip
        lines.append(line)
    return Message.of(
        Section(t.t("Sources for the digest")),
        Text("\n".join(lines)),
        ContextLine(t.t("Add: /digest kilde legg-til <url>. Remove: /digest kilde fjern <number>.")),
    )
