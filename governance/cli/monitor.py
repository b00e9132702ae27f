"""``governance monitor``: a deployed model's production log, window by window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from governance.cli.options import config_option, settings, store_option
from governance.config import SEVERITY_CHOICES

if TYPE_CHECKING:
    from governance.monitor import MonitorResult, WindowSummary


@click.command()
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option(
    "--policy",
    "-p",
    "policies",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Policy file, directory of policies, or pack:NAME; repeatable (as for check).",
)
@click.option(
    "--log",
    "log",
    help="The production log: a CSV or Parquet file, or a quoted glob of them (read in name "
    "order), in time order unless read with --log-engine duckdb.",
)
@click.option(
    "--log-table",
    metavar="NAME",
    help="The production log as a Spark table, read with the settings' Spark session.",
)
@click.option(
    "--log-engine",
    type=click.Choice(["arrow", "duckdb", "spark"]),
    help="What reads the log: arrow (files, in order), duckdb (files, windows selected by "
    "query) or spark (--log-table) [default: arrow, spark with --log-table].",
)
@click.option("--time-column", help="The log's time column [default: monitoring.time_column].")
@click.option(
    "--window", help="Width of each window: 7d, 24h, 30m, 2w [default: monitoring.window, or 7d]."
)
@click.option(
    "--since",
    help="Start of the first window (date or ISO time, UTC) [default: "
    "midnight of the first decision's day].",
)
@click.option("--until", help="Decisions from then on are left out [default: none].")
@click.option(
    "--baseline",
    default="latest",
    show_default=True,
    help="The deployment's gate evaluation (its id), or latest: the model's newest one.",
)
@click.option(
    "--label-delay",
    help="Outcomes arrive this long after a decision (30d) [default: monitoring.label_delay].",
)
@click.option(
    "--webhook",
    metavar="URL",
    help="POST one JSON alert (Slack-compatible text) per rule that starts failing [default: "
    "GOVERNANCE_MONITOR_WEBHOOK].",
    envvar="GOVERNANCE_MONITOR_WEBHOOK",
)
@store_option
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_CHOICES),
    help="Lowest severity whose failure fails a window [default: high].",
)
@click.option(
    "--waivers",
    "waiver_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Waivers file (kind: Waivers); repeatable.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@config_option
def monitor(
    manifest: Path,
    policies: tuple[Path, ...],
    log: str | None,
    log_table: str | None,
    log_engine: str | None,
    time_column: str | None,
    window: str | None,
    since: str | None,
    until: str | None,
    baseline: str,
    label_delay: str | None,
    webhook: str | None,
    store_url: str | None,
    fail_on: str | None,
    waiver_files: tuple[Path, ...],
    output_format: str,
    config_file: Path | None,
) -> int:
    """Evaluate each window of a production log under the policies; exit 0, 1 or 2.

    Exit 0 when every window passes, 1 when a window fails, 2 on bad input (nothing recorded).
    Each window is recorded as an evaluation linked to the baseline; a window recorded already
    with the same rows is not evaluated again, one whose rows changed (late outcomes) is, and
    supersedes its earlier record. Run it from cron, a CI schedule or an Airflow task
    (docs/monitoring.md).
    """
    from governance.gate import CheckOptions, parse_fail_on
    from governance.monitor import MonitorOptions, run_monitor

    resolved = settings(config_file, store_url=store_url, fail_on=fail_on)
    check = CheckOptions(
        manifest=manifest,
        policies=policies,
        fail_on=parse_fail_on(resolved.fail_on),
        namespace=resolved.namespace,
        waivers=waiver_files,
        settings=resolved,
    )
    options = MonitorOptions(
        check=check,
        log=log,
        store_url=resolved.store_url,
        time_column=time_column,
        window=window,
        since=since,
        until=until,
        baseline=baseline,
        webhook=webhook,
        label_delay=label_delay,
        log_table=log_table,
        log_engine=log_engine,
    )
    text = output_format == "text"
    result = run_monitor(options, progress=_show if text else None)
    for failure in result.alert_failures:
        click.echo(f"Warning: {failure}", err=True)
    if text:
        click.echo(_summary(result))
    else:
        click.echo(json.dumps(result.as_dict(), indent=2))
    return result.exit_code


def _show(window: WindowSummary) -> None:
    verdict = "passed" if window.verdict == "passed" else "FAILED"
    status = {"recorded": "", "unchanged": " (recorded before)", "superseded": " (re-evaluated)"}
    failing = f"  failing: {', '.join(window.failing)}" if window.failing else ""
    click.echo(
        f"{window.start[:10]} .. {window.end[:10]}  {window.rows:>7} decisions "
        f"{window.rows_with_outcome:>7} outcomes  {verdict}{status[window.status]}{failing}"
    )


def _summary(result: MonitorResult) -> str:
    failed = sum(w.verdict != "passed" for w in result.windows)
    new = sum(w.status != "unchanged" for w in result.windows)
    lines = [
        f"{len(result.windows)} windows against baseline {result.baseline}: {failed} failed; "
        f"{new} recorded by this run"
    ]
    for alert in result.alerts:
        rule = f"{alert.policy}/{alert.rule_id} ({alert.severity})"
        start = alert.window_start[:10]
        if result.sent:  # sent once: a later run does not send it again
            lines.append(f"Alert sent: {rule} started failing in the window from {start}: ")
        else:  # nothing recorded without a webhook: every run shows what is failing
            lines.append(
                f"Failing since the window from {start} (no --webhook, not sent): {rule}: "
            )
        lines[-1] += alert.message
    return "\n".join(lines)
