"""A small SVG chart renderer: horizontal bars, weekly lines with milestones, and a heat map.

Charts are drawn on the server as inline SVG, so the page needs no script and loads nothing from
elsewhere. Each chart scales to its container (a phone's width too) through its viewBox, is an
image with a title for screen readers, and has a table beside it with the same numbers. Colours
meet WCAG 2.1 AA: text 4.5:1 and marks 3:1 against the white background.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

INK = "#1f2328"  # text, 15:1 on white
MUTED = "#57606a"  # axis labels, 6.4:1
GRID = "#d0d7de"  # grid lines only: the values are in the marks and the table
EDGE = "#8c959f"  # the heat map's cell borders, 3:1 on white, so even a pale cell is seen
# Series colours, each at least 4.5:1 on white and told apart by a dash pattern as well.
SERIES = ("#0a4f8f", "#9a3412", "#166534")
DASHES = ("", "6 3", "2 3")
# Heat map, light to dark blue; the share is written in the table and the cell's title.
HEAT = ("#f1f5f9", "#c6dbef", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _open(width: int, height: int, title: str, chart_id: str, *, stretch: bool = True) -> list[str]:
    """`stretch`: fill the container's width; otherwise keep the natural size and only shrink to fit."""
    size = 'width="100%"' if stretch else f'width="{width}" height="{height}"'
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" {size} role="img" '
        f'aria-labelledby="{chart_id}-title" class="chart" id="{chart_id}" {FONT} font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bars(chart_id: str, title: str, rows: Sequence[tuple[str, float]], *, colour: str = SERIES[0]) -> str:
    """Horizontal bars with the label above each and the value at its end."""
    width, left, right, row_h = 640, 8, 56, 44
    height = row_h * len(rows) + 8
    top = max((value for _, value in rows), default=0) or 1
    out = _open(width, height, title, chart_id)
    for n, (label, value) in enumerate(rows):
        y = 8 + n * row_h
        length = (width - left - right) * value / top
        out.append(f'<text x="{left}" y="{y + 12}" fill="{INK}">{escape(label)}</text>')
        out.append(
            f'<rect x="{left}" y="{y + 18}" width="{max(length, 1):.1f}" height="16" fill="{colour}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        out.append(f'<text x="{left + length + 6:.1f}" y="{y + 31}" fill="{INK}">{_number(value)}</text>')
    out.append("</svg>")
    return "".join(out)


def lines(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    milestones: Sequence[tuple[int, str]] = (),
) -> str:
    """Lines over the weeks; milestones (week index, label) are dashed vertical rules."""
    width, height, left, right, top, bottom = 640, 260, 36, 12, 36, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max((v for s in series for v in s.values), default=0)
    scale = max(1.0, float(highest))
    steps = len(labels) - 1 or 1

    def x(n: float) -> float:
        return left + plot_w * n / steps

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / scale

    out = _open(width, height, title, chart_id)
    for tick in (0, scale / 2, scale):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}">{_number(tick)}</text>'
        )
    every = max(1, len(labels) // 8)
    for n, label in enumerate(labels):
        if n % every == 0:
            out.append(
                f'<text x="{x(n):.1f}" y="{height - 22}" text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
            )
    for n, label in milestones:
        out.append(
            f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{top - 6}" y2="{top + plot_h}" stroke="{INK}" '
            f'stroke-dasharray="3 3"><title>{escape(label)}</title></line>'
        )
    for k, s in enumerate(series):
        colour, dash = SERIES[k % len(SERIES)], DASHES[k % len(DASHES)]
        points = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in enumerate(s.values))
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        if len(s.values) > 1:
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dashed}/>')
        for n, v in enumerate(s.values):
            out.append(
                f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(s.name)}, {escape(labels[n])}: {_number(v)}</title></circle>"
            )
        lx = left + k * 150
        out.append(f'<line x1="{lx}" x2="{lx + 24}" y1="14" y2="14" stroke="{colour}" stroke-width="3"{dashed}/>')
        out.append(f'<text x="{lx + 30}" y="18" fill="{INK}">{escape(s.name)}</text>')
    out.append("</svg>")
    return "".join(out)


def heat_colour(share: float) -> str:
    if share <= 0:
        return HEAT[0]
    return HEAT[min(len(HEAT) - 1, 1 + int(share * (len(HEAT) - 1) - 1e-9))]


def heatmap(chart_id: str, title: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Rows (schools) × columns (weeks), each cell shaded by a share from 0 to 1."""
    label_w, cell, gap, top = 170, 22, 2, 28
    width = label_w + len(columns) * (cell + gap) + 8
    height = top + len(rows) * (cell + gap) + 44
    # Kept at its natural size: a term of few weeks would otherwise blow the cells up to tiles.
    out = _open(max(width, label_w + len(HEAT) * 34 + 60), height, title, chart_id, stretch=False)
    for n, column in enumerate(columns):  # a week number fits above its cell
        x = label_w + n * (cell + gap) + cell / 2
        out.append(f'<text x="{x}" y="{top - 10}" text-anchor="middle" fill="{MUTED}">{escape(column)}</text>')
    for r, (label, shares) in enumerate(rows):
        y = top + r * (cell + gap)
        shown = label if len(label) <= 24 else label[:23] + "…"
        out.append(f'<text x="4" y="{y + 12}" fill="{INK}">{escape(shown)}</text>')
        for n, share in enumerate(shares):
            out.append(
                f'<rect x="{label_w + n * (cell + gap)}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{heat_colour(share)}" stroke="{EDGE}" stroke-width="0.75">'
                f"<title>{escape(label)}, {escape(columns[n])}: {share * 100:.0f} %</title></rect>"
            )
    legend_y = top + len(rows) * (cell + gap) + 14
    for n, colour in enumerate(HEAT):
        out.append(
            f'<rect x="{label_w + n * 34}" y="{legend_y}" width="30" height="12" fill="{colour}" stroke="{EDGE}"/>'
        )
    out.append(f'<text x="{label_w - 6}" y="{legend_y + 11}" text-anchor="end" fill="{MUTED}">0 %</text>')
    out.append(f'<text x="{label_w + len(HEAT) * 34 + 4}" y="{legend_y + 11}" fill="{MUTED}">100 %</text>')
    out.append("</svg>")
    return "".join(out)
