"""The page's own SVG charts: readable colours, escaped words, shades that follow the share."""

from __future__ import annotations

from adapters.web import svg


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2.1's contrast ratio."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_and_marks_meet_wcag_aa_on_white() -> None:
    assert contrast(svg.INK) >= 4.5 and contrast(svg.MUTED) >= 4.5
    assert all(contrast(colour) >= 4.5 for colour in svg.SERIES)  # lines and bars, even as thin as text
    assert contrast(svg.EDGE) >= 3  # every heat map cell has a visible edge, however pale its fill
    assert contrast("#ffffff", svg.SERIES[0]) >= 4.5  # the chosen period's white text on its button


def test_words_in_charts_are_escaped() -> None:
    drawn = svg.bars("b", "<script>", [("<b>Skole & co</b>", 3)])
    assert "<script>" not in drawn and "&lt;b&gt;Skole &amp; co&lt;/b&gt;" in drawn
    heat = svg.heatmap("h", "t", ["37"], [('"><svg onload=x>', [0.5])])
    assert "<svg onload" not in heat and "&quot;&gt;&lt;svg onload=x&gt;" in heat


def test_heat_shades_darken_with_the_share_and_nothing_is_the_palest() -> None:
    shades = [svg.heat_colour(share) for share in (0, 0.01, 0.2, 0.4, 0.6, 0.8, 1.0)]
    assert shades[0] == svg.HEAT[0] and shades[1] != svg.HEAT[0]  # one member in a hundred is not "quiet"
    assert shades[-1] == svg.HEAT[-1]
    assert [svg.HEAT.index(s) for s in shades] == sorted(svg.HEAT.index(s) for s in shades)


def test_a_line_chart_of_weeks_to_come_draws_only_the_weeks_that_have_been() -> None:
    drawn = svg.lines("w", "t", ["1", "2", "3", "4"], [svg.Series("Ideer", [1, 2])], [(3, "Samling")])
    assert drawn.count("<circle") == 2 and "<title>Samling</title>" in drawn
