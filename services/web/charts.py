"""Charts for the web pages: small SVG pictures drawn on the server, readable without colour.

Each function returns one `<svg role="img">` whose `<title>` and `<desc>` say in words what it
shows, figures included, so a screen reader hears the whole chart; on screen every mark also
has a text label, a pattern or a shape, so nothing depends on colour alone. Colours meet
WCAG 2.1 AA on the white background: 4.5:1 for text, 3:1 for marks (checked by the tests).
The markup is returned as `Markup`, a `str` that Jinja inserts without escaping it again;
everything that comes from data is escaped here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

INK = "#1f2328"  # text, 15.8:1 on white
MUTED = "#57606a"  # secondary text and axes, 6.4:1
ONLINE = "#0969da"  # 5.1:1
OFFLINE = "#1a7f37"  # 5.0:1
BAND = "#9a6700"  # the balanced band's edges, 4.8:1
BAND_FILL = "#fff8c5"  # behind the marks only, never carrying meaning alone
BACKGROUND = "#ffffff"
STATUS_COLOURS = {
    "thriving": OFFLINE,
    "steady": ONLINE,
    "fading": BAND,
    "dormant": MUTED,
}
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'

_ids = itertools.count(1)  # ids unique within a page (several charts share one document)


def health_bar(health: float, status: str) -> Markup:
    """A relationship's health (0-100) as a bar, labelled with the figure and the status."""
    key = _key("health")
    value = _clamp(health, 0.0, 100.0)
    track, height = 160.0, 14.0
    fill = STATUS_COLOURS.get(status, INK)
    label = f"{_number(value, 0)} / 100 · {status}"
    return _svg(
        key,
        width=300,
        height=22,
        title=f"Health {_number(value, 0)} of 100, {status}",
        desc=f"Relationship health {_number(value, 1)} out of 100; status {status}.",
        body=[
            _rect(0, 4, track, height, fill=BACKGROUND, stroke=MUTED, cls="track"),
            _rect(0, 4, track * value / 100.0, height, fill=fill, cls="health"),
            _text(track + 8, 16, label, size=13),
        ],
    )


def balance_chart(weeks: Sequence[dict], band: tuple[float, float]) -> Markup:
    """Online and offline share of each week, the balanced band (of offline shares) drawn.

    A week's column is the whole of its networking: the offline part (solid) from the bottom,
    the online part (hatched) above it, each `share` of the column's height. A week without
    activity is an empty dashed outline marked "none".
    """
    key = _key("balance")
    low, high = sorted(_clamp(edge, 0.0, 1.0) for edge in band)
    left, top, plot_h, column_w, gap = 48.0, 40.0, 160.0, 36.0, 14.0
    plot_w = max(1, len(weeks)) * (column_w + gap)
    base = top + plot_h

    def y(share: float) -> float:
        return base - share * plot_h

    body = [
        _hatch(key, ONLINE),
        _legend(left, 14, [("offline", OFFLINE, None), ("online", ONLINE, f"url(#{key}-online)")]),
    ]
    body.append(_rect(left, y(high), plot_w, y(low) - y(high), fill=BAND_FILL, cls="band"))
    for tick in (0.0, 0.5, 1.0):
        body.append(_text(left - 6, y(tick) + 4, _percent(tick), size=11, anchor="end"))
    said = []
    for index, week in enumerate(weeks):
        x = left + gap / 2 + index * (column_w + gap)
        when = _week_label(week.get("week"))
        body.append(_text(x + column_w / 2, base + 16, when, size=11, anchor="middle"))
        share = week.get("offline_share")
        if share is None:
            body.append(
                _rect(x, top, column_w, plot_h, fill="none", stroke=MUTED, dash="4 3", cls="empty")
            )
            body.append(_text(x + column_w / 2, base - 8, "none", size=11, anchor="middle"))
            said.append(f"week of {when}: no activity")
            continue
        share = _clamp(share, 0.0, 1.0)
        body.append(
            _rect(x, y(share), column_w, share * plot_h, fill=OFFLINE, cls="offline", data=share)
        )
        body.append(
            _rect(
                x,
                top,
                column_w,
                (1 - share) * plot_h,
                fill=f"url(#{key}-online)",
                stroke=ONLINE,
                cls="online",
                data=1 - share,
            )
        )
        body.append(_text(x + column_w / 2, top - 4, _percent(share), size=11, anchor="middle"))
        said.append(f"week of {when}: {_percent(share)} offline, {_place(share, low, high)}")
    for edge in (low, high):  # over the columns, so the band shows across them too
        body.append(
            _line(left, y(edge), left + plot_w, y(edge), stroke=BAND, dash="6 3", cls="band-edge")
        )
    body.append(_text(left + plot_w + 6, (y(low) + y(high)) / 2 + 4, "balanced", size=11))
    summary = "; ".join(said) if said else "no weeks"
    return _svg(
        key,
        width=left + plot_w + 64,
        height=base + 24,
        title=f"Offline share per week, last {len(weeks)} weeks",
        desc=f"Share of networking done offline each week (the rest online); balanced between "
        f"{_percent(low)} and {_percent(high)} offline. {_sentence(summary)}",
        body=body,
    )


def bars(items: Sequence[tuple[str, float]], unit: str, *, title: str | None = None) -> Markup:
    """Horizontal bars, one per labelled figure, lengths in proportion to the largest."""
    key = _key("bars")
    label_w, bar_w, row_h = 120.0, 220.0, 26.0
    largest = max((max(0.0, value) for _, value in items), default=0.0)
    body, said = [], []
    for index, (label, value) in enumerate(items):
        y = 8 + index * row_h
        length = bar_w * max(0.0, value) / largest if largest else 0.0
        figure = f"{_number(value)} {_unit(unit, value)}"
        body.append(_text(label_w - 8, y + 14, label, size=13, anchor="end"))
        body.append(_rect(label_w, y, length, row_h - 8, fill=ONLINE, cls="bar", data=value))
        body.append(_text(label_w + length + 6, y + 14, figure, size=13))
        said.append(f"{label}: {figure}")
    name = title or f"{unit.capitalize()} by category"
    return _svg(
        key,
        width=label_w + bar_w + 110,
        height=16 + len(items) * row_h,
        title=name,
        desc=_sentence("; ".join(said) if said else "nothing to show"),
        body=body,
    )


def trend(weeks: Sequence[dict]) -> Markup:
    """Weekly online and offline networking as two lines: online solid with round marks,
    offline dashed with square marks, both on one scale (the largest weekly figure)."""
    key = _key("trend")
    left, top, plot_h, step = 48.0, 36.0, 140.0, 56.0
    base = top + plot_h
    largest = max(
        (max(float(w.get("online") or 0), float(w.get("offline") or 0)) for w in weeks),
        default=0.0,
    )

    def y(value: float) -> float:
        return base - (max(0.0, value) / largest * plot_h if largest else 0.0)

    def x(index: int) -> float:
        return left + step / 2 + index * step

    body = [_legend(left, 14, [("online", ONLINE, None), ("offline", OFFLINE, None)])]
    body.append(_line(left, base, left + step * max(1, len(weeks)), base, stroke=MUTED))
    body.append(_text(left - 6, base + 4, "0", size=11, anchor="end"))
    if largest:
        body.append(_text(left - 6, top + 4, _number(largest), size=11, anchor="end"))
    else:
        middle = left + step * max(1, len(weeks)) / 2
        body.append(_text(middle, top + plot_h / 2, "no activity", size=12, anchor="middle"))
    said = []
    # a week withheld for too few active members is a gap in the lines, labelled as such
    shown = [i for i, w in enumerate(weeks) if not w.get("suppressed")]
    runs: list[list[int]] = []
    for i in shown:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for channel, colour, dash in (("online", ONLINE, None), ("offline", OFFLINE, "6 4")):
        for run in runs:
            points = [(x(i), y(float(weeks[i].get(channel) or 0))) for i in run]
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            body.append(
                f'<polyline class="{channel}" points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{_dash(dash)}/>'
            )
            for i, (px, py) in zip(run, points, strict=True):
                body.append(_mark(channel, px, py, colour, float(weeks[i].get(channel) or 0)))
    for index, week in enumerate(weeks):
        when = _week_label(week.get("week"))
        body.append(_text(x(index), base + 16, when, size=11, anchor="middle"))
        if week.get("suppressed"):
            body.append(_text(x(index), base - 8, "withheld", size=10, anchor="middle"))
            said.append(f"week of {when}: withheld ({week['suppressed']})")
            continue
        said.append(
            f"week of {when}: {_number(week.get('online') or 0)} online, "
            f"{_number(week.get('offline') or 0)} offline"
        )
    return _svg(
        key,
        width=left + step * max(1, len(weeks)) + 16,
        height=base + 24,
        title=f"Online and offline networking, last {len(weeks)} weeks",
        desc="Weekly networking, in decayed interaction units. "
        + _sentence("; ".join(said) if said else "no weeks"),
        body=body,
    )


# --- pieces -----------------------------------------------------------------------------


def _svg(
    key: str, *, width: float, height: float, title: str, desc: str, body: list[str]
) -> Markup:
    # natural size and a viewBox: the stylesheet's `max-width: 100%; height: auto` scales the
    # picture down on a phone, keeping its proportions (no inline style: CSP-friendly)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{key}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{key}-title" aria-describedby="{key}-desc" {FONT}>'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _rect(x, y, w, h, *, fill, stroke=None, dash=None, cls=None, data=None) -> str:
    extra = f' stroke="{stroke}" stroke-width="1"' if stroke else ""
    extra += _dash(dash)
    extra += f' class="{cls}"' if cls else ""
    extra += f' data-value="{data:.6g}"' if data is not None else ""
    return (
        f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(0.0, w):.2f}" height="{max(0.0, h):.2f}" '
        f'fill="{fill}"{extra}/>'
    )


def _line(x1, y1, x2, y2, *, stroke, dash=None, cls=None) -> str:
    extra = _dash(dash) + (f' class="{cls}"' if cls else "")
    return (
        f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="{stroke}" '
        f'stroke-width="2"{extra}/>'
    )


def _text(x, y, text, *, size, anchor="start", fill=INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}">{escape(str(text))}</text>'
    )


def _dash(dash: str | None) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _mark(channel: str, x: float, y: float, colour: str, value: float) -> str:
    if channel == "online":
        shape = f'<circle cx="{x:.2f}" cy="{y:.2f}" r="4" fill="{colour}"'
    else:
        shape = f'<rect x="{x - 4:.2f}" y="{y - 4:.2f}" width="8" height="8" fill="{colour}"'
    return f'{shape} class="{channel}-mark" data-value="{value:.6g}"/>'


def _hatch(key: str, colour: str) -> str:
    """Diagonal stripes: the online part differs from the solid offline part by texture."""
    return (
        f'<defs><pattern id="{key}-online" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{BACKGROUND}"/>'
        f'<rect width="3" height="6" fill="{colour}"/></pattern></defs>'
    )


def _legend(x: float, y: float, entries: list[tuple[str, str, str | None]]) -> str:
    parts = []
    for index, (label, colour, fill) in enumerate(entries):
        at = x + index * 90
        parts.append(_rect(at, y - 10, 12, 12, fill=fill or colour, stroke=colour))
        parts.append(_text(at + 16, y, label, size=12))
    return '<g class="legend">' + "".join(parts) + "</g>"


def _key(kind: str) -> str:
    return f"chart-{kind}-{next(_ids)}"


def _clamp(value: float, low: float, high: float) -> float:
    value = float(value)
    return low if math.isnan(value) else min(high, max(low, value))


def _number(value: float, digits: int = 1) -> str:
    value = float(value)
    return f"{value:,.0f}" if value == round(value) or digits == 0 else f"{value:,.{digits}f}"


def _unit(unit: str, value: float) -> str:
    """'1 pair', '2 pairs'."""
    return unit[:-1] if value == 1 and unit.endswith("s") else unit


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _place(share: float, low: float, high: float) -> str:
    if share < low:
        return "online heavy"
    if share > high:
        return "offline heavy"
    return "balanced"


def _week_label(week: date | str | None) -> str:
    if week is None:
        return "?"
    day = week if isinstance(week, date) else date.fromisoformat(str(week)[:10])
    return f"{day.day} {day:%b}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
