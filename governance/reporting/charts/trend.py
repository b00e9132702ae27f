"""SVG trend chart of one monitored rule: its measured value in each window of a period.

Each window is a point at its start date with its recorded interval (error bars) where the
evidence holds one; the rule's threshold is a dashed line with the side that fails hatched.
Readable in greyscale: a failing window is a filled black square, a passing one an open
circle, any other outcome (insufficient, error, skipped) an open triangle drawn on the axis.

Output is deterministic (fixed SVG ids, no date): the same points give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from governance.reporting.charts.fairness import STYLE

MARK = {
    "fail": ("s", "black", "failing window"),
    "pass": ("o", "white", "passing window"),
    "other": ("^", "white", "not measured (insufficient, error, skipped)"),
}


def trend_chart(points: Sequence[Mapping[str, Any]], threshold: Mapping[str, Any] | None) -> str:
    """Draw the trend of one rule.

    Parameters
    ----------
    points
        One per window, in time order: ``label`` (the window's start date), ``outcome``,
        ``measured`` (or ``None``) and ``interval`` (``[low, high]`` or ``None``).
    threshold
        The rule's ``{"min", "max"}``, if it has one.

    Returns
    -------
    str
        The SVG text.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = max(4.5, min(7.0, 2.5 + 0.35 * len(points)))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(width, 2.4))
        try:
            _draw(ax, points, threshold or {})
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def _draw(ax: Any, points: Sequence[Mapping[str, Any]], threshold: Mapping[str, Any]) -> None:
    values = [p["measured"] for p in points if isinstance(p.get("measured"), int | float)]
    bounds = [v for k in ("min", "max") if (v := threshold.get(k)) is not None]
    intervals = [x for p in points for x in (p.get("interval") or [])]
    every = values + [float(b) for b in bounds] + [float(x) for x in intervals]
    low = min(every) if every else 0.0
    high = max(every) if every else 1.0
    pad = (high - low) * 0.12 or 0.1
    bottom, top = low - pad, high + pad
    xs = list(range(len(points)))
    measured = [p.get("measured") if isinstance(p.get("measured"), int | float) else None
                for p in points]  # fmt: skip
    shown = [(x, v) for x, v in zip(xs, measured, strict=True) if v is not None]
    if shown:
        ax.plot(*zip(*shown, strict=True), color="0.55", linewidth=0.8, zorder=1)
    for kind, (marker, fill, label) in MARK.items():
        chosen = [(x, p) for x, p in zip(xs, points, strict=True) if _kind(p, measured[x]) == kind]
        if not chosen:
            continue
        ys = [measured[x] if kind != "other" else bottom for x, _ in chosen]
        errors: list[list[float]] | None = None
        if kind != "other":
            errors = [[], []]
            for (_, p), y in zip(chosen, ys, strict=True):
                pair = p.get("interval")
                below = y - pair[0] if pair else 0.0
                above = pair[1] - y if pair else 0.0
                errors[0].append(max(below, 0.0))
                errors[1].append(max(above, 0.0))
        ax.errorbar(
            [x for x, _ in chosen],
            ys,
            yerr=errors,
            fmt=marker,
            color="black",
            markerfacecolor=fill,
            markeredgecolor="black",
            ecolor="0.35",
            elinewidth=0.8,
            capsize=2.5,
            markersize=5.5,
            label=label,
            zorder=3,
            clip_on=False,
        )
    for key, dash in (("min", "--"), ("max", "-.")):
        value = threshold.get(key)
        if value is None:
            continue
        value = float(value)
        ax.axhline(value, color="black", linestyle=dash, linewidth=1.0, label=f"threshold ({key})")
        span = (bottom - 1.0, value) if key == "min" else (value, top + 1.0)
        ax.axhspan(*span, facecolor="none", edgecolor="0.82", hatch="////", linewidth=0)
    ax.set_ylim(bottom, top)
    ax.set_xlim(-0.5, len(points) - 0.5)
    ax.set_xticks(xs, [str(p.get("label", "")) for p in points], rotation=45, ha="right")
    ax.set_ylabel("measured")
    ax.grid(axis="y", color="0.9", linewidth=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def _kind(point: Mapping[str, Any], measured: Any) -> str:
    outcome = point.get("outcome")
    return str(outcome) if measured is not None and outcome in ("pass", "fail") else "other"
