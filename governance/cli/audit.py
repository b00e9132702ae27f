"""``governance audit``: read and verify the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from governance.cli.options import config_option, settings, store_option
from governance.errors import EXIT_INVALID, EXIT_OK


@click.group()
def audit() -> None:
    """Inspect and verify the append-only audit log."""


def _describe(kind: str, payload: dict[str, Any]) -> str:
    if kind == "evaluation":
        model = payload.get("model", {})
        return (
            f"{model.get('name')} {model.get('version')}: {payload.get('verdict')} "
            f"(evaluation {payload.get('evaluation_id')})"
        )
    if kind == "openlineage.event":
        job = payload.get("job", {})
        run = payload.get("run", {})
        job_name = f"{job.get('namespace')}/{job.get('name')}"
        return f"{payload.get('eventType')} {job_name} {run.get('runId')}"
    if kind == "report":
        return f"{payload.get('path')} signed={payload.get('signed')}"
    return ""


@audit.command("log")
@store_option
@click.option("--kind", help="Only entries of this kind (evaluation, openlineage.event, report).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many entries (latest).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@config_option
def log(
    store_url: str | None,
    kind: str | None,
    limit: int | None,
    fmt: str,
    config_file: Path | None,
) -> int:
    """List the entries of the audit log, oldest first."""
    from governance.store import AuditStore

    url = settings(config_file, store_url=store_url).require("store_url", "pass --store URL")
    with AuditStore.open(url, create=False) as store:
        entries = list(store.entries(kind=kind))
    if limit is not None:
        entries = entries[-limit:]
    if fmt == "json":
        rows = [
            {
                "seq": e.seq,
                "kind": e.kind,
                "created_at": e.created_at_text,
                "entry_hash": e.entry_hash,
                "prev_hash": e.prev_hash,
                "payload": e.payload,
            }
            for e in entries
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    for e in entries:
        summary = _describe(e.kind, e.payload)
        click.echo(f"{e.seq:>6}  {e.created_at_text}  {e.entry_hash[:12]}  {e.kind:<18} {summary}")
    if not entries:
        click.echo("(no entries)", err=True)
    return EXIT_OK


@audit.command("verify")
@store_option
@config_option
def verify_chain(store_url: str | None, config_file: Path | None) -> int:
    """Recompute the hash chain; exit 1 naming the first bad entry if anything was altered."""
    from governance.store import AuditStore

    url = settings(config_file, store_url=store_url).require("store_url", "pass --store URL")
    with AuditStore.open(url, create=False) as store:
        report = store.verify()
    if report.ok:
        click.echo(f"OK: {report.entries} entries, chain intact, head {report.head_hash}")
        return EXIT_OK
    click.echo(f"TAMPERED: entry {report.first_bad_seq}: {report.problem}")
    return EXIT_INVALID
