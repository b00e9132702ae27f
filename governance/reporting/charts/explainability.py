"""SVG charts of explainability evidence, drawn when a report is rendered; greyscale-readable.

Drawn with matplotlib's object API (no pyplot, no global backend): the same evidence always gives
the same bytes (fixed ``svg.hashsalt``, no date in the metadata, text kept as text).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

RC: Any = {
    "svg.hashsalt": "governance",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.6,
}
# Greys and hatches tell groups apart without colour.
FILLS = ("#404040", "#a0a0a0", "#ffffff", "#707070", "#d0d0d0", "#202020")
HATCHES = ("", "///", "xx", "\\\\", "--", "||")
MAX_BARS = 15


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


IMPORTANCE_TITLE = "Global feature importance (mean |SHAP|)"
GROUP_TITLE = "Feature importance by {feature}"
PROXY_TITLE = "Potential proxies of sensitive attributes"


def importance_chart(
    importance: Sequence[dict[str, Any]], unit: str, highlight: Sequence[str] = ()
) -> str:
    """Horizontal bars of mean |SHAP| per feature, largest first; ``highlight`` is hatched."""
    import matplotlib

    shown = list(importance)[:MAX_BARS]
    with matplotlib.rc_context(RC):
        figure = _figure(6.0, 0.8 + 0.22 * len(shown))
        axes = figure.add_subplot()
        names = [row["feature"] for row in shown][::-1]
        values = [row["mean_abs_shap"] for row in shown][::-1]
        bars = axes.barh(names, values, color="#606060", edgecolor="#000000", linewidth=0.5)
        for bar, name in zip(bars, names, strict=True):
            if name in highlight:
                bar.set_facecolor("#ffffff")
                bar.set_hatch("///")
        axes.set_xlabel(f"mean |SHAP value| ({unit})")
        axes.spines[["top", "right"]].set_visible(False)
        if highlight:
            axes.set_title("hatched: " + ", ".join(highlight), fontsize=7, loc="left")
        svg = _svg(figure)
    return svg


def group_chart(
    groups: Sequence[dict[str, Any]],
    features: Sequence[str],
    unit: str,
) -> str:
    """Grouped bars: mean |SHAP| of the top ``features`` within each group of the attribute."""
    import matplotlib
    import numpy as np

    shown = list(features)[:10][::-1]
    count = max(len(groups), 1)
    height = 0.8 / count
    with matplotlib.rc_context(RC):
        figure = _figure(6.0, 1.0 + 0.3 * len(shown) * max(1.0, count / 3))
        axes = figure.add_subplot()
        positions = np.arange(len(shown))
        for index, group in enumerate(groups):
            values = [group["mean_abs_shap"].get(name, 0.0) for name in shown]
            axes.barh(
                positions - (index - (count - 1) / 2) * height,
                values,
                height=height,
                color=FILLS[index % len(FILLS)],
                hatch=HATCHES[index % len(HATCHES)],
                edgecolor="#000000",
                linewidth=0.5,
                label=f"{group['group']} (n={group['count']})",
            )
        axes.set_yticks(positions, shown)
        axes.set_xlabel(f"mean |SHAP value| ({unit})")
        if groups:  # a legend without labelled bars is empty (and matplotlib warns)
            axes.legend(fontsize=7, frameon=False, loc="lower right")
        axes.spines[["top", "right"]].set_visible(False)
        svg = _svg(figure)
    return svg


LABEL_OFFSETS = tuple((dx, dy) for dy in (2, -9, 11, -18, 20, -27, 29, -36) for dx in (4, -4))
"""Label positions tried, in points from the marker: right first, then left, then further."""


def _free_offset(
    point: Sequence[float], chars: int, placed: list[tuple[float, float, float, float]]
) -> tuple[int, int]:
    """The first offset whose label box overlaps no label placed so far (then it is placed).

    Boxes are in display pixels (the figure's 100 dpi: 7-point text is about 10 pixels high
    and 5.5 pixels a character wide); a left offset puts the label's end at the marker.
    """
    scale = 100 / 72
    width, height = 5.5 * chars, 10.0
    for dx, dy in LABEL_OFFSETS:
        left = point[0] + dx * scale - (width if dx < 0 else 0)
        bottom = point[1] + dy * scale
        box = (left, bottom, left + width, bottom + height)
        if all(
            box[2] <= other[0] or box[0] >= other[2] or box[3] <= other[1] or box[1] >= other[3]
            for other in placed
        ):
            placed.append(box)
            return (dx - (round(width / scale) if dx < 0 else 0), dy)
    placed.append((point[0], point[1], point[0] + width, point[1] + height))
    return LABEL_OFFSETS[0]


def proxy_chart(rows: Sequence[dict[str, Any]], min_association: float, min_share: float) -> str:
    """Association with a sensitive attribute against attribution share; proxies labelled."""
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = _figure(6.0, 3.6)
        axes = figure.add_subplot()
        axes.set_xlim(0, 1)
        axes.set_ylim(0, max([min_share * 2] + [row["share"] * 1.15 for row in rows]))
        labelled = []
        for row in rows:
            proxy = row["potential_proxy"]
            axes.scatter(
                row["max_association"],
                row["share"],
                marker="s" if proxy else "o",
                s=28 if proxy else 14,
                facecolor="#000000" if proxy else "#ffffff",
                edgecolor="#000000",
                linewidth=0.6,
                zorder=3,
            )
            if proxy or row["share"] >= min_share or row["max_association"] >= min_association:
                label = row["feature"]
                if proxy:
                    label += f" ({', '.join(row['proxy_of'])})"
                labelled.append((row["max_association"], row["share"], label, proxy))
        points = [axes.transData.transform((x, y)) for x, y, _, _ in labelled]
        placed: list[tuple[float, float, float, float]] = []
        order = sorted(range(len(labelled)), key=lambda i: (not labelled[i][3], -points[i][1]))
        for index in order:
            x, y, label, _ = labelled[index]
            dx, dy = _free_offset(points[index], len(label), placed)
            axes.annotate(
                label,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=7,
                arrowprops=None
                if (dx, dy) == LABEL_OFFSETS[0]
                else {"arrowstyle": "-", "linewidth": 0.4, "color": "#555555"},
            )
        axes.axvline(min_association, color="#000000", linestyle="--", linewidth=0.7)
        axes.axhline(min_share, color="#000000", linestyle=":", linewidth=0.7)
        axes.set_xlabel("strongest association with a sensitive attribute (0-1)")
        axes.set_ylabel("share of attribution")
        axes.set_title(
            "filled squares: potential proxies (right of the dashed line, above the dotted one)",
            fontsize=7,
            loc="left",
        )
        axes.spines[["top", "right"]].set_visible(False)
        svg = _svg(figure)
    return svg
