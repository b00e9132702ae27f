"""The inventory as text, JSON or CSV (a risk register's import): stable column names.

The columns are :data:`COLUMNS`, documented in docs/inventory.md; JSON keeps lists as lists and
gives each waiver's fields, CSV joins a list with ``"; "``. A CSV cell that a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@`` first) is written with a leading apostrophe: the
names come from manifests and policies, which the register's reader did not write.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

from governance.escapes import visible
from governance.inventory.rows import InventoryRow, WaiverState

__all__ = ["COLUMNS", "FORMATS", "INVENTORY_FORMAT_VERSION", "render_inventory"]

INVENTORY_FORMAT_VERSION = 1
FORMATS = ("text", "json", "csv")
COLUMNS = (
    "model",
    "version",
    "owner",
    "risk_tier",
    "verdict",
    "recorded_verdict",
    "missing_policies",
    "evaluation_id",
    "evaluated_at",
    "evaluations",
    "waived_findings",
    "open_waivers",
    "expired_waivers",
    "next_waiver_expiry",
    "monitoring",
    "monitored_at",
    "monitoring_evaluation_id",
    "registry_name",
    "registry_version",
    "registry_uri",
    "approvals",
    "report_digest",
    "report_signed",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = ("model", "version", "risk_tier", "verdict", "evaluated_at", "waivers", "monitoring")


def _waiver(item: WaiverState) -> dict[str, Any]:
    return {
        "rule_id": item.rule_id,
        "expires": item.expires,
        "expired": item.expired,
        "approved_by": item.approved_by,
    }


def row_data(row: InventoryRow) -> dict[str, Any]:
    """The row as JSON values, keyed by :data:`COLUMNS`."""
    expiries = sorted(item.expires for item in row.open_waivers)
    data = {name: getattr(row, name, None) for name in COLUMNS}
    data.update(
        missing_policies=list(row.missing_policies),
        open_waivers=[_waiver(item) for item in row.open_waivers],
        expired_waivers=[_waiver(item) for item in row.expired_waivers],
        next_waiver_expiry=expiries[0] if expiries else None,
    )
    return data


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(
            (
                f"{item['rule_id']} {'expired' if item['expired'] else 'until'} {item['expires']}"
                if isinstance(item, dict)
                else str(item)
            )
            for item in value
        )
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv(rows: Sequence[InventoryRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        data = row_data(row)
        writer.writerow([_cell(data[name]) for name in COLUMNS])
    return buffer.getvalue()


def _waivers_text(row: InventoryRow) -> str:
    parts = [f"{item.rule_id} until {item.expires}" for item in row.open_waivers]
    parts += [f"{item.rule_id} EXPIRED {item.expires}" for item in row.expired_waivers]
    return ", ".join(parts) or "none"


def _minute(stamp: str | None) -> str:
    """A record time to the minute for the text table (JSON and CSV keep it whole)."""
    if not stamp or len(stamp) < 16 or stamp[10] != "T":
        return stamp or "-"
    return f"{stamp[:10]} {stamp[11:16]}Z"


def _text(rows: Sequence[InventoryRow], today: dt.date) -> str:
    if not rows:
        return "No model is evaluated in this store yet.\n"
    table = [("MODEL", "VERSION", "TIER", "VERDICT", "EVALUATED", "WAIVERS", "MONITORING")]
    for row in rows:
        verdict = row.verdict
        if row.missing_policies:
            verdict += " (missing " + ", ".join(row.missing_policies) + ")"
        monitoring = row.monitoring
        if row.monitored_at:
            monitoring += f" (window to {row.monitored_at})"
        table.append(
            (
                row.model,
                row.version,
                row.risk_tier or "-",
                verdict,
                _minute(row.evaluated_at),
                _waivers_text(row),
                monitoring,
            )
        )
    shown = [[visible(cell) for cell in line] for line in table]
    widths = [max(len(line[index]) for line in shown) for index in range(len(TEXT_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in shown
    ]
    lines.append("")
    for row in rows:
        extra = [f"approvals {row.approvals}"]
        if row.registry_name and row.registry_version:
            # the version the evaluation read, not the alias that named it then
            extra.append(f"registry models:/{row.registry_name}/{row.registry_version}")
        elif row.registry_uri or row.registry_name:
            extra.append(f"registry {row.registry_uri or row.registry_name}")
        lines.append(
            f"{visible(row.model)} {visible(row.version)}: evaluation "
            f"{row.evaluation_id}; " + "; ".join(visible(item) for item in extra)
        )
    lines.append(f"Waivers as of {today.isoformat()} (UTC).")
    return "\n".join(lines) + "\n"


def render_inventory(rows: Sequence[InventoryRow], output_format: str, today: dt.date) -> str:
    """The inventory in ``output_format`` (one of :data:`FORMATS`).

    Parameters
    ----------
    rows
        The rows of :func:`governance.inventory.model_inventory`.
    output_format
        ``text`` (a table for people), ``json`` or ``csv``.
    today
        The date the waivers were judged against.

    Returns
    -------
    str
        The text to print or write.
    """
    if output_format == "json":
        document = {
            "inventory_version": INVENTORY_FORMAT_VERSION,
            "as_of": today.isoformat(),
            "columns": list(COLUMNS),
            "rows": [row_data(row) for row in rows],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output_format == "csv":
        return _csv(rows)
    return _text(rows, today)
