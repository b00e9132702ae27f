"""A rule's trend over monitored windows, drawn as inline SVG on the server (no JavaScript).

One chart per rule: the measured value of each window, oldest on the left, with the rule's
threshold as a dashed line. A failing window is a cross with the word FAIL above it, a passing
one a filled dot, any other outcome a hollow square on the axis: shape and word, never colour
alone, so the chart reads in greyscale. All text is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["TrendPoint", "render_trend", "rule_trends"]

HEIGHT = 190
TOP = 24
BOTTOM = 150
LEFT = 64
RIGHT = 72
INK = "#1f2933"
FAILED = "#8a041a"
FONT = 'font-family="DejaVu Sans, sans-serif"'
BAD = ("fail", "error")


@dataclass(frozen=True)
class TrendPoint:
    """One window of one rule."""

    window_start: str
    window_end: str
    outcome: str
    measured: float | None


def rule_trends(windows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each rule of the windows (by policy and id, first seen first) with its points.

    A rule missing from a window (its policy changed) gets no point for that window.
    """
    rules: dict[tuple[str, str], dict[str, Any]] = {}
    for window in windows:
        for finding in window["findings"]:
            key = (finding["policy"], finding["rule_id"])
            rule = rules.setdefault(
                key,
                {
                    "policy": finding["policy"],
                    "rule_id": finding["rule_id"],
                    "title": finding["title"],
                    "severity": finding["severity"],
                    "threshold": finding["threshold"],
                    "points": [],
                },
            )
            rule["threshold"] = finding["threshold"]  # the latest window's
            rule["points"].append(
                TrendPoint(
                    window["window_start"],
                    window["window_end"],
                    finding["outcome"],
                    finding["measured"],
                )
            )
    return list(rules.values())


def _number(value: float) -> str:
    return f"{value:.4g}"


def _day(text: str) -> str:
    return text[:10]


def _bounds(points: Sequence[TrendPoint], lines: Sequence[float]) -> tuple[float, float]:
    values = [p.measured for p in points if p.measured is not None] + list(lines)
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    spread = high - low or abs(high) * 0.1 or 1.0
    return low - spread * 0.08, high + spread * 0.08


def _lines(threshold: dict[str, Any] | None) -> list[tuple[str, float]]:
    threshold = threshold or {}
    return [
        (name, float(threshold[name]))
        for name in ("min", "max")
        if isinstance(threshold.get(name), int | float)
    ]


def render_trend(index: int, rule: dict[str, Any]) -> str:
    """The chart of one rule (from :func:`rule_trends`) as an ``<svg>`` element.

    ``index`` makes the ids of its title and description unique on the page.
    """
    points: list[TrendPoint] = rule["points"]
    lines = _lines(rule["threshold"])
    low, high = _bounds(points, [value for _, value in lines])
    count = max(len(points), 1)
    step = max(14, min(56, 720 // count), 300 // count)  # wide enough for the caption
    width = LEFT + step * count + RIGHT

    def x_of(position: int) -> float:
        return LEFT + step * position + step / 2

    def y_of(value: float) -> float:
        return BOTTOM - (value - low) / (high - low) * (BOTTOM - TOP)

    failed = [p for p in points if p.outcome in BAD]
    name = f"{rule['policy']}/{rule['rule_id']}"
    summary = f"{len(points)} windows, {len(failed)} failed"
    if failed:
        summary += ": from " + ", ".join(_day(p.window_start) for p in failed)
    limits = ", ".join(f"{label} {_number(value)}" for label, value in lines) or "no threshold"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="trend" '
        f'aria-labelledby="trend-title-{index} trend-desc-{index}" width="{width}" '
        f'height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}">',
        f'<title id="trend-title-{index}">Trend of {escape(name)}: measured value per window '
        f"({escape(limits)})</title>",
        f'<desc id="trend-desc-{index}">{escape(summary)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{BOTTOM}" stroke="{INK}"/>',
        f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{width - RIGHT}" y2="{BOTTOM}" stroke="{INK}"/>',
    ]
    for value in (low, high):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y_of(value) + 4:.1f}" text-anchor="end" font-size="11" '
            f'{FONT} fill="{INK}">{escape(_number(value))}</text>'
        )
    for label, value in lines:
        y = y_of(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{width - RIGHT}" y2="{y:.1f}" stroke="{INK}" '
            f'stroke-width="1.5" stroke-dasharray="6 4"/>'
            f'<text x="{width - RIGHT + 4}" y="{y + 4:.1f}" font-size="11" {FONT} '
            f'fill="{INK}">{escape(label)} {escape(_number(value))}</text>'
        )
    run: list[str] = []
    for position, point in enumerate([*points, None]):
        if point is None or point.measured is None:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="#52606d" '
                    'stroke-width="1.5"/>'
                )
            run = []
            continue
        run.append(f"{x_of(position):.1f},{y_of(point.measured):.1f}")
    for position, point in enumerate(points):
        parts.append(_mark(x_of(position), point, y_of))
    label_every = max(1, -(-count // 8))
    for position, point in enumerate(points):
        if position % label_every == 0 or position == count - 1:
            parts.append(
                f'<text x="{x_of(position):.1f}" y="{BOTTOM + 16}" text-anchor="middle" '
                f'font-size="10" {FONT} fill="{INK}">{escape(_day(point.window_start)[5:])}'
                "</text>"
            )
    first = _day(points[0].window_start) if points else ""
    last = _day(points[-1].window_end) if points else ""
    parts.append(
        f'<text x="{LEFT}" y="{BOTTOM + 34}" font-size="11" {FONT} fill="{INK}">'
        f"windows from {escape(first)} to {escape(last)} (start dates, month-day)</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _mark(x: float, point: TrendPoint, y_of: Any) -> str:
    """A window's mark: dot (pass), cross and FAIL (fail, error), hollow square (no value)."""
    value = "no value" if point.measured is None else _number(point.measured)
    tip = (
        f"<title>{escape(_day(point.window_start))} to {escape(_day(point.window_end))}: "
        f"{escape(point.outcome)}, {escape(value)}</title>"
    )
    y = BOTTOM - 6.0 if point.measured is None else y_of(point.measured)
    if point.outcome in BAD:
        word = "FAIL" if point.outcome == "fail" else "ERROR"
        shape = (
            f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} M{x - 5:.1f},'
            f'{y + 5:.1f} L{x + 5:.1f},{y - 5:.1f}" stroke="{FAILED}" stroke-width="2.5"/>'
            f'<text x="{x:.1f}" y="{max(y - 9, 10):.1f}" text-anchor="middle" font-size="9" '
            f'font-weight="bold" {FONT} fill="{FAILED}">{word}</text>'
        )
    elif point.measured is None:
        shape = (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#ffffff" '
            f'stroke="{INK}" stroke-width="1.5"/>'
        )
    elif point.outcome == "pass":
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{INK}"/>'
    else:  # waived, skipped, insufficient with a value
        shape = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{INK}" '
            'stroke-width="1.5"/>'
        )
    return f"<g class={quoteattr('mark-' + point.outcome)}>{tip}{shape}</g>"
