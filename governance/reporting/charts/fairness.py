"""SVG charts of fairness and per-group performance evidence, drawn when a report is rendered.

Each grouping of a finding is a panel: every group's metric value with its bootstrap interval
(error bars), groups too small for the rule marked, the overall or reference value dotted, and the
rule's threshold translated to the metric's scale as a dashed line (for a four-fifths ratio rule:
0.8 x the highest group's rate; for a difference bound d: the highest rate minus d, or the
reference value plus and minus d). Readable in greyscale: metrics differ by marker shape and
fill, lines by dash pattern. Charts are drawn from the recorded evidence and the rule's
threshold, so a stored record has everything a chart needs.

Output is deterministic (fixed SVG ids, no date): the same evidence gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from governance.policy.model import Severity

MARKERS = (("o", "black"), ("s", "white"), ("^", "0.55"), ("D", "white"))
STYLE: Any = {
    "svg.hashsalt": "governance",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "axes.edgecolor": "0.3",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
UNBOUNDED = frozenset({"r2"})  # metrics not confined to [0, 1]
Finding = Mapping[str, Any]


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if float(value).is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def gating(finding: Finding, fail_on: str, strict: bool) -> bool:
    """Whether a finding's rule can block the gate (severity at or above ``fail_on``)."""
    if strict:
        return True
    try:
        return Severity.parse(str(finding.get("severity"))) >= Severity.parse(fail_on)
    except KeyError:
        return False


def _how(check: str) -> str:
    return "ratio" if check.endswith("_ratio") else "difference"


Line = tuple[float, str, str]  # value, legend label, the side that fails ("below"/"above")


def _threshold_lines(
    check: str,
    evidence: Mapping[str, Any],
    table: Mapping[str, Any],
    metric: str,
    threshold: Mapping[str, Any] | None,
) -> list[Line]:
    """Where the rule's threshold falls on the metric's scale, a label, and the failing side."""
    if not threshold:
        return []
    low, high = threshold.get("min"), threshold.get("max")
    if check.startswith("performance.") or check == "fairness.min_group_size":
        lines = []
        if low is not None:
            lines.append((float(low), f"threshold ≥ {low:g}", "below"))
        if high is not None:
            lines.append((float(high), f"threshold ≤ {high:g}", "above"))
        return lines
    values = [g["metrics"].get(metric) for g in table.get("groups", [])]
    values = [v for v in values if v is not None]
    if not values:
        return []
    method = evidence.get("method", "between_groups")
    base = _base(table, metric, method)
    how = _how(check)
    if how == "ratio" and low is not None and low > 0:
        if method == "between_groups":
            return [(max(values) * low, f"{low:g} × highest", "below")]
        if base is not None:
            name = _base_name(method)
            return [
                (base * low, f"{low:g} × {name}, {name} / {low:g}", "below"),
                (base / low, "", "above"),
            ]
    if how == "difference" and high is not None:
        if method == "between_groups":
            return [(max(values) - high, f"highest − {high:g}", "below")]
        if base is not None:
            name = _base_name(method)
            return [(base - high, f"{name} ± {high:g}", "below"), (base + high, "", "above")]
    return []


def _base_name(method: str) -> str:
    return "overall" if method == "to_overall" else "reference"


def _base(table: Mapping[str, Any], metric: str, method: str) -> float | None:
    if method == "to_overall":
        value = (table.get("overall") or {}).get(metric)
        return None if value is None else float(value)
    if method == "to_reference":
        for group in table.get("groups", []):
            if group.get("label") == table.get("reference"):
                value = group["metrics"].get(metric)
                return None if value is None else float(value)
    return None


def _title(finding: Finding) -> str:
    evidence = finding.get("evidence") or {}
    measured = finding.get("measured")
    text = f"{finding.get('rule_id')}: measured {_number(measured)}"
    interval = evidence.get("interval")
    confidence = (evidence.get("bootstrap") or {}).get("confidence")
    if interval and confidence:
        text += f" ({confidence:.0%} interval {_number(interval[0])}–{_number(interval[1])})"
    threshold = finding.get("threshold") or {}
    bounds = [f"≥ {threshold['min']:g}"] if threshold.get("min") is not None else []
    bounds += [f"≤ {threshold['max']:g}"] if threshold.get("max") is not None else []
    if bounds:
        text += f", threshold {' and '.join(bounds)}"
    gate_on = evidence.get("gate_on")
    if gate_on and gate_on != "point":
        text += f" on the {gate_on.replace('_', ' ')}"
    return text


def finding_chart(finding: Finding) -> tuple[str, Callable[[], str]] | None:
    """The title and the drawing of a chart of a finding's per-group evidence, else None.

    Nothing is drawn (nor matplotlib imported) until the returned function is called.
    """
    check = str(finding.get("check", ""))
    evidence = finding.get("evidence") or {}
    tables = evidence.get("tables") or []
    if not tables or not (check.startswith("fairness.") or check.startswith("performance.")):
        return None
    metrics = list(
        evidence.get("metrics") or ([evidence["metric"]] if "metric" in evidence else [])
    )
    if check == "fairness.min_group_size":
        metrics = ["count"]
    if not metrics:
        return None
    tables = _charted_tables(tables, finding.get("measured"))
    title = _title(finding)
    return title, partial(_draw, finding, check, evidence, tables, metrics, title)


def _charted_tables(
    tables: Sequence[Mapping[str, Any]], measured: Any
) -> Sequence[Mapping[str, Any]]:
    """Per-class tables (multiclass) are charted for the worst class only; the rest in full.

    A chart of every class of every grouping would shrink each panel past reading; the tables
    of the report list every class.
    """
    views = [str(table.get("view") or "") for table in tables]
    if not any(view.startswith("class ") for view in views):
        return tables
    if isinstance(measured, int | float):
        worst = next(
            (
                view
                for view, table in zip(views, tables, strict=True)
                if isinstance(table.get("measured"), int | float)
                and math.isclose(float(table["measured"]), float(measured), rel_tol=1e-9)
            ),
            None,
        )
        if worst is not None:
            return [table for view, table in zip(views, tables, strict=True) if view == worst]
    return tables[:3]


def _draw(
    finding: Finding,
    check: str,
    evidence: Mapping[str, Any],
    tables: Sequence[Mapping[str, Any]],
    metrics: Sequence[str],
    title: str,
) -> str:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    heights = [max(len(t.get("groups", [])), 1) * 0.32 + 0.75 for t in tables]
    with mpl.rc_context(STYLE):
        figure = Figure(figsize=(6.6, sum(heights) + 0.45))
        axes = figure.subplots(len(tables), 1, squeeze=False, height_ratios=heights)[:, 0]
        for ax, table in zip(axes, tables, strict=True):
            _panel(ax, finding, check, evidence, table, metrics)
        handles, names = _legend(axes)
        figure.legend(handles, names, loc="lower center", ncol=min(len(names), 3), frameon=False)
        figure.suptitle(title, fontsize=8.5, x=0.01, ha="left")
        rows = math.ceil(len(names) / 3) if names else 0
        figure.tight_layout(rect=(0, 0.055 * rows / (sum(heights) / 3 + 0.5), 1, 0.97))
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _panel(
    ax: Any,
    finding: Finding,
    check: str,
    evidence: Mapping[str, Any],
    table: Mapping[str, Any],
    metrics: Sequence[str],
) -> None:
    groups = list(table.get("groups", []))
    labels = []
    for group in groups:
        label = f"{group.get('label')}  (n={group.get('count')})"
        if group.get("insufficient"):
            label += "  too small"
        labels.append(label)
    positions = list(range(len(groups)))[::-1]
    offsets = _offsets(len(metrics))
    for index, metric in enumerate(metrics):
        marker, face = MARKERS[index % len(MARKERS)]
        xs: list[float] = []
        ys: list[float] = []
        errors: list[list[float]] = [[], []]
        for position, group in zip(positions, groups, strict=True):
            value = group.get("count") if metric == "count" else group["metrics"].get(metric)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            low, high = ((group.get("intervals") or {}).get(metric) or [None, None])[:2]
            xs.append(float(value))
            ys.append(position + offsets[index])
            errors[0].append(max(float(value) - low, 0.0) if low is not None else 0.0)
            errors[1].append(max(high - float(value), 0.0) if high is not None else 0.0)
        if metric == "count":
            ax.barh(ys, xs, color="0.85", edgecolor="black", hatch="//", height=0.5, label="rows")
            continue
        ax.errorbar(
            xs,
            ys,
            xerr=errors,
            fmt=marker,
            color="black",
            markerfacecolor=face,
            markeredgecolor="black",
            ecolor="0.35",
            elinewidth=0.8,
            capsize=2.5,
            markersize=5,
            label=metric.replace("_", " "),
        )
    method = evidence.get("method", "between_groups")
    if metrics and metrics[0] != "count" and method != "between_groups":
        base = _base(table, metrics[0], method)
        if base is not None:
            ax.axvline(base, color="0.45", linestyle=":", linewidth=1.0, label=_base_name(method))
    dashes = ("--", "-.")
    left, right = ax.get_xlim()
    for index, metric in enumerate(metrics):
        lines = _threshold_lines(check, evidence, table, metric, finding.get("threshold"))
        for value, label, side in lines:
            if metric not in UNBOUNDED and not 0.0 <= value <= (
                math.inf if metric == "count" else 1.0
            ):
                continue  # no group can be beyond it
            name = label + (f" ({metric.replace('_', ' ')})" if len(metrics) > 1 else "")
            ax.axvline(
                value,
                color="black",
                linestyle=dashes[index % 2],
                linewidth=1.0,
                label=name if label else None,
            )
            left, right = min(left, value), max(right, value)
            span = (min(left, value) - 1.0, value) if side == "below" else (value, right + 1.0)
            ax.axvspan(*span, facecolor="none", edgecolor="0.82", hatch="////", linewidth=0)
    ax.set_xlim(left, right)
    ax.set_yticks(positions, labels)
    ax.set_ylim(-0.7, len(groups) - 0.3)
    features = " × ".join(table.get("sensitive_features") or [])
    view = f", {table['view']}" if table.get("view") else ""
    text = f"by {features}{view}: measured {_number(table.get('measured'))}"
    interval = table.get("interval")
    if interval:
        text += f", interval {_number(interval[0])}–{_number(interval[1])}"
    ax.set_title(text, fontsize=8, loc="left")
    ax.grid(axis="x", color="0.9", linewidth=0.5)


def _legend(axes: Any) -> tuple[list[Any], list[str]]:
    """Each legend entry once, over all panels."""
    handles: list[Any] = []
    names: list[str] = []
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            if name not in names:
                handles.append(handle)
                names.append(name)
    return handles, names


def _offsets(count: int) -> list[float]:
    if count == 1:
        return [0.0]
    step = 0.28 / (count - 1)
    return [-0.14 + step * i for i in range(count)]
