"""The charts' geometry follows the data, and each chart says in words what it shows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from services.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def all_of(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(SVG + tag)
    return [e for e in found if cls is None or e.get("class") == cls]


def one(root: ET.Element, tag: str, cls: str) -> ET.Element:
    (element,) = all_of(root, tag, cls)
    return element


def number(element: ET.Element, name: str) -> float:
    return float(element.get(name))


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in all_of(root, "text")]


def weeks(*shares: float | None) -> list[dict]:
    return [
        {
            "week": f"2026-01-{5 + 7 * i:02d}",
            "online": 0.0 if s is None else 10 * (1 - s),
            "offline": 0.0 if s is None else 10 * s,
            "offline_share": s,
        }
        for i, s in enumerate(shares)
    ]


EVERY_CHART = {
    "health_bar": lambda: charts.health_bar(76.1, "thriving"),
    "balance_chart": lambda: charts.balance_chart(weeks(0.7, None, 0.1), (0.25, 0.75)),
    "bars": lambda: charts.bars([("thriving", 3), ("dormant", 1)], "pairs"),
    "trend": lambda: charts.trend(weeks(0.5, 0.2)),
}


@pytest.mark.parametrize("make", EVERY_CHART.values(), ids=EVERY_CHART.keys())
def test_every_chart_is_an_image_named_by_its_title_and_described_in_words(make):
    root = parse(make())
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby"), root.get("aria-describedby")
    (title,) = [e for e in root if e.tag == SVG + "title"]
    (desc,) = [e for e in root if e.tag == SVG + "desc"]
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text.strip() and desc.text.strip()
    # a viewBox of the natural size: the stylesheet scales it down on a phone
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


def test_two_charts_on_one_page_have_distinct_ids():
    first, second = parse(charts.bars([("a", 1)], "x")), parse(charts.bars([("a", 1)], "x"))
    assert first.get("id") != second.get("id")
    ids = {e.get("id") for c in (first, second) for e in c.iter() if e.get("id")}
    assert len(ids) == 6  # svg, title and desc of each


def test_a_week_70_percent_offline_fills_70_percent_of_its_column_offline():
    root = parse(charts.balance_chart(weeks(0.7, 0.2), (0.25, 0.75)))
    offline, online = all_of(root, "rect", "offline"), all_of(root, "rect", "online")
    columns = [
        number(a, "height") + number(b, "height") for a, b in zip(offline, online, strict=True)
    ]
    assert columns[0] == pytest.approx(columns[1])
    assert number(offline[0], "height") == pytest.approx(0.7 * columns[0])
    assert number(offline[1], "height") == pytest.approx(0.2 * columns[1])
    # offline from the bottom, online stacked right on top of it
    for off, on in zip(offline, online, strict=True):
        assert number(on, "y") + number(on, "height") == pytest.approx(number(off, "y"))
    assert "70%" in texts(root) and "20%" in texts(root)


def test_the_balanced_band_edges_sit_at_the_configured_shares():
    root = parse(charts.balance_chart(weeks(0.5), (0.3, 0.6)))
    off, on = one(root, "rect", "offline"), one(root, "rect", "online")
    top, bottom = number(on, "y"), number(off, "y") + number(off, "height")

    def share_at(y: float) -> float:
        return (bottom - y) / (bottom - top)

    edges = sorted(share_at(number(line, "y1")) for line in all_of(root, "line", "band-edge"))
    assert edges == pytest.approx([0.3, 0.6])
    band = one(root, "rect", "band")
    assert share_at(number(band, "y")) == pytest.approx(0.6)
    assert share_at(number(band, "y") + number(band, "height")) == pytest.approx(0.3)
    assert "balanced" in texts(root)


def test_a_week_without_activity_is_an_empty_column_said_in_words():
    root = parse(charts.balance_chart(weeks(None, 0.9), (0.25, 0.75)))
    assert len(all_of(root, "rect", "empty")) == 1
    assert len(all_of(root, "rect", "offline")) == 1
    assert "none" in texts(root)
    desc = root.find(SVG + "desc").text.lower()
    assert "week of 5 jan: no activity" in desc
    assert "week of 12 jan: 90% offline, offline heavy" in desc
    assert "between 25% and 75% offline" in desc


def test_bars_are_as_long_as_their_figures_and_labelled():
    root = parse(charts.bars([("thriving", 10), ("steady", 5), ("fading", 0)], "pairs"))
    widths = [number(bar, "width") for bar in all_of(root, "rect", "bar")]
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2)
    assert widths[2] == 0
    assert {"thriving", "steady", "fading", "10 pairs", "5 pairs", "0 pairs"} <= set(texts(root))
    desc = root.find(SVG + "desc").text
    assert desc == "Thriving: 10 pairs; steady: 5 pairs; fading: 0 pairs."


def test_bars_of_nothing_draw_nothing_without_failing():
    root = parse(charts.bars([("online heavy", 0), ("balanced", 0)], "members"))
    assert [number(bar, "width") for bar in all_of(root, "rect", "bar")] == [0, 0]
    assert parse(charts.bars([], "members")).find(SVG + "desc").text == "Nothing to show."


def test_the_trend_puts_each_week_at_its_height_with_a_shape_per_channel():
    data = [
        {"week": "2026-01-05", "online": 8.0, "offline": 2.0},
        {"week": "2026-01-12", "online": 4.0, "offline": 6.0},
    ]
    root = parse(charts.trend(data))
    online = all_of(root, "circle", "online-mark")
    offline = all_of(root, "rect", "offline-mark")
    assert len(online) == len(offline) == 2
    baseline = max(number(line, "y1") for line in all_of(root, "line"))
    heights = [baseline - number(c, "cy") for c in online]
    heights += [baseline - (number(r, "y") + 4) for r in offline]
    top = heights[0]  # 8.0, the largest figure, reaches the top of the plot
    assert [h / top for h in heights] == pytest.approx([1.0, 0.5, 0.25, 0.75])
    assert all_of(root, "polyline", "offline")[0].get("stroke-dasharray")  # not colour alone
    assert "week of 12 Jan: 4 online, 6 offline" in root.find(SVG + "desc").text


def test_the_health_bar_fills_its_share_of_the_track_and_names_the_status():
    root = parse(charts.health_bar(76.1, "thriving"))
    track, fill = one(root, "rect", "track"), one(root, "rect", "health")
    assert number(fill, "width") == pytest.approx(0.761 * number(track, "width"))
    assert "76 / 100 · thriving" in texts(root)
    over = parse(charts.health_bar(250, "thriving"))
    assert number(one(over, "rect", "health"), "width") == number(
        one(over, "rect", "track"), "width"
    )


def test_text_from_the_data_is_escaped():
    root = parse(charts.bars([("<b>&team</b>", 1)], "members", title="Team <x>"))
    assert "<b>&team</b>" in texts(root)
    assert root.find(SVG + "title").text == "Team <x>"


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(colour: str) -> float:
    return 1.05 / (luminance(colour) + 0.05)


@pytest.mark.parametrize("make", EVERY_CHART.values(), ids=EVERY_CHART.keys())
def test_colours_meet_aa_contrast_on_white(make):
    root = parse(make())
    for element in root.iter():
        colours = {k: v for k, v in element.attrib.items() if k in ("fill", "stroke")}
        for attribute, colour in colours.items():
            if not re.fullmatch(r"#[0-9a-f]{6}", colour) or colour in (
                charts.BACKGROUND,
                charts.BAND_FILL,
            ):
                continue  # none, a pattern, or the background itself
            needed = 4.5 if element.tag == SVG + "text" else 3.0
            assert contrast_on_white(colour) >= needed, (element.tag, attribute, colour)


def test_every_status_has_a_colour_that_meets_the_contrast_for_marks():
    for colour in charts.STATUS_COLOURS.values():
        assert contrast_on_white(colour) >= 3.0


def test_one_of_a_unit_is_singular():
    root = parse(charts.bars([("thriving", 1), ("steady", 2)], "pairs"))
    assert {"1 pair", "2 pairs"} <= set(texts(root))


def test_a_trend_without_activity_says_so():
    root = parse(charts.trend([{"week": "2026-01-05", "online": 0, "offline": 0}]))
    assert "no activity" in texts(root)


def test_a_withheld_week_is_a_gap_in_the_trend_with_its_reason():
    reason = "fewer than 5 members were active this week"
    data = [
        {"week": "2026-01-05", "online": 8.0, "offline": 2.0},
        {"week": "2026-01-12", "online": None, "offline": None, "suppressed": reason},
        {"week": "2026-01-19", "online": 4.0, "offline": 6.0},
    ]
    root = parse(charts.trend(data))
    # two marks per channel (the withheld week has none) and each line broken at the gap
    assert len(all_of(root, "circle", "online-mark")) == 2
    assert len(all_of(root, "polyline", "online")) == 2
    assert "withheld" in texts(root)
    desc = root.find(SVG + "desc").text
    assert f"week of 12 Jan: withheld ({reason})" in desc
    assert "12 Jan: 0 online" not in desc
