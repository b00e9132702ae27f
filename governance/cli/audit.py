"""``governance audit``: read and verify the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from governance.cli.options import (
    F,
    config_option,
    resolve_store_url,
    settings,
    signing_flags,
    signing_options,
    store_option,
)
from governance.errors import EXIT_INVALID, EXIT_OK
from governance.escapes import visible

LOG_KINDS = (
    "evaluation",
    "openlineage.event",
    "openlineage.forward_failed",
    "lineage.ingest",
    "report",
    "checkpoint",
    "store.triggers_restored",
)
"""Every kind of entry the package appends to the log (spelt out: ``--help`` stays light)."""


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
        if "run" in payload:
            return f"{payload.get('eventType')} {job_name} {run.get('runId')}"
        if "job" in payload:
            return f"JobEvent {job_name}"
        dataset = payload.get("dataset", {})
        return f"DatasetEvent {dataset.get('namespace')}/{dataset.get('name')}"
    if kind == "report":
        return f"{payload.get('path')} signed={payload.get('signed')}"
    if kind == "checkpoint":
        return f"size {payload.get('size')} head {str(payload.get('head_hash'))[:12]}"
    if kind == "lineage.ingest":
        counts = f"{payload.get('stored')} events stored, {payload.get('duplicates')} duplicates"
        return f"{counts}, {_deliverer(payload)}"
    if kind == "openlineage.forward_failed":
        return f"{payload.get('transport')}: {payload.get('error')}"
    if kind == "store.triggers_restored":
        return f"re-created {', '.join(map(str, payload.get('triggers', [])))}"
    return ""


def _deliverer(payload: dict[str, Any]) -> str:
    """Who delivered the events of a ``lineage.ingest`` receipt, in words."""
    if payload.get("via") != "api":
        return "by governance lineage ingest"
    key = payload.get("key")
    if not isinstance(key, dict):
        return "by the API (no keys)"
    name = f" ({key.get('name')})" if key.get("name") else ""
    return visible(f"by api key {key.get('id')}{name}")


TRUST_ROOT_HELP = (
    "Only accept checkpoints (kept files and the log's own) signed by this certificate or one it "
    "issued; repeatable. Without it, the log's checkpoints must all have the first one's key."
)


def _trust_root_option(help_text: str) -> Callable[[F], F]:
    option: Callable[[F], F] = click.option(
        "--trust-root",
        "trust_roots",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )
    return option


@audit.command("log")
@store_option
@click.option("--kind", help=f"Only entries of this kind ({', '.join(LOG_KINDS)}).")
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
    from governance.audit import AuditStore
    from governance.errors import ConfigError

    if kind is not None and kind not in LOG_KINDS:
        raise ConfigError(f"--kind {kind}: unknown entry kind", hint=f"use {', '.join(LOG_KINDS)}")
    url = resolve_store_url(config_file, store_url)
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
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A checkpoint file (from `audit checkpoint`) the log must still match; repeatable.",
)
@_trust_root_option(TRUST_ROOT_HELP)
@store_option
@config_option
def verify_chain(
    checkpoints: tuple[Path, ...],
    trust_roots: tuple[Path, ...],
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Recompute the hash chain, check checkpoints and query tables; exit 1 if altered.

    Every entry's hash and link is recomputed, and every checkpoint recorded in the log must
    match the log before it and be signed by the first checkpoint's key (or, with --trust-root,
    by a trusted key). The append-only triggers must be in place. The query tables
    (evaluations, findings, reports, lineage) are rebuilt from the log in a scratch database
    and compared row by row. With --checkpoint, each checkpoint kept outside the store must be
    validly signed, and the log must still hold the history it signed: this detects entries
    cut off the end and a history rewritten with recomputed hashes.
    """
    from governance.audit import AuditStore
    from governance.keys import load_certificate
    from governance.store.checkpoint import load_checkpoint
    from governance.store.triggers import RESTORED_KIND

    url = resolve_store_url(config_file, store_url)
    roots = [load_certificate(path) for path in trust_roots]
    files = [(path, load_checkpoint(path)) for path in checkpoints]
    with AuditStore.open(url, create=False) as store:
        restored = store.triggers_restored
        report = store.verify(workers="auto", trust_roots=roots)
        results = [(path, store.check_checkpoint(cp, trust_roots=roots)) for path, cp in files]
        restorations = [
            e
            for e in store.entries(kind=RESTORED_KIND)
            if restored is None or e.seq != restored.seq
        ]
        # the query tables are compared with the log only if the chain itself holds
        tables = store.check_projections() if report.first_bad_seq is None else None
    good = (
        report.ok
        and restored is None
        and all(result.ok for _, result in results)
        and (tables is not None and tables.ok)
    )
    if report.first_bad_seq is None:
        count = report.checkpoints
        plural = "s" if count != 1 else ""
        signed = f", {count} signed checkpoint{plural} in the log" if count else ""
        head = f"head {report.head_hash}" if report.head_hash else "the log is empty"
        click.echo(f"OK: {report.entries} entries, chain intact{signed}, {head}")
        for index, key in enumerate(report.checkpoint_keys):
            which = "first checkpoint" if index == 0 else "then checkpoint"
            click.echo(
                f"  {which} (entry {key.seq}) signed by key {key.fingerprint} ({key.signer})"
            )
    else:
        problem = str(report.problem)
        where = f"entry {report.first_bad_seq}"
        click.echo(f"TAMPERED: {problem if problem.startswith(where) else f'{where}: {problem}'}")
    if tables is not None and (report.entries or not tables.ok):
        _echo_tables(tables)
    for problem in report.triggers:
        click.echo(f"TAMPERED: {problem}")
    if restored is not None:
        click.echo(
            f"TAMPERED: {'; '.join(restored.payload['problems'])}: re-created on opening the "
            f"store, recorded as entry {restored.seq}"
        )
    for entry in restorations:
        click.echo(
            f"WARNING: entry {entry.seq} records that the append-only triggers "
            f"{', '.join(entry.payload.get('triggers', []))} were found missing or altered and "
            f"re-created at {entry.created_at_text}"
        )
    for path, result in results:
        by = f"signed by {result.signer}, key {result.fingerprint}"
        if result.ok:
            click.echo(
                f"OK: checkpoint {path}: entry {result.size} still has the signed hash "
                f"{result.head_hash[:12]}... ({by}, at {result.time})"
            )
        else:
            click.echo(f"TAMPERED: checkpoint {path} (size {result.size}, {by}): {result.problem}")
    return EXIT_OK if good else EXIT_INVALID


SHOWN_TABLES = 3
"""Differing query tables named one per line; the rest are counted on one more."""


def _echo_tables(tables: Any) -> None:
    """The query tables' check: one line per differing table (the first few), or OK."""
    prefix = "OK" if tables.ok else "TAMPERED"
    lines = tables.describe().splitlines()
    for line in lines[:SHOWN_TABLES]:
        click.echo(f"{prefix}: {line}")
    rest = tables.differences[SHOWN_TABLES:] if tables.problem is None else ()
    if rest:
        rows = sum(item.changed + item.missing + item.extra for item in rest)
        names = ", ".join(item.table for item in rest)
        click.echo(f"TAMPERED: and {len(rest)} more query tables differ ({rows} rows): {names}")
    if not tables.ok and tables.problem is None:
        click.echo(
            "The query tables differ from the log: they were edited, or log entries they were "
            "built from were removed. Decisions never read them; `governance audit rebuild` "
            "restores them from the log.",
            err=True,
        )


@audit.command("checkpoint")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checkpoint here (JSON) [default: stdout]. Keep it outside the store.",
)
@signing_options("key and certificate")
@_trust_root_option(
    "Key rotation: the new checkpoint and the log's must be signed by this certificate or one "
    "it issued, instead of by the first checkpoint's key; repeatable."
)
@store_option
@config_option
def checkpoint(
    output: Path | None,
    signing_key: Path | None,
    signing_cert: Path | None,
    signing_pkcs12: Path | None,
    trust_roots: tuple[Path, ...],
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Verify the log, then sign its size and head hash (a checkpoint) with the report key.

    The checkpoint is also appended to the log (reports embed the latest one). Keep the file
    somewhere the store's administrators cannot rewrite: `audit verify --checkpoint FILE`
    later proves the log still holds the history it signed. The key must be the one of the
    log's first checkpoint, unless trust roots are given (verify then needs them too).
    """
    from governance.audit import AuditStore
    from governance.cli.options import write_output
    from governance.keys import load_certificate
    from governance.reporting.formats.output import check_writable
    from governance.reports import signing_from_settings
    from governance.store.checkpoint import key_of

    if output is not None:
        check_writable(output)  # before the checkpoint is appended to the log
    resolved = settings(
        config_file, store_url=store_url, **signing_flags(signing_key, signing_cert, signing_pkcs12)
    )
    signing = signing_from_settings(resolved, purpose="checkpoint", can_skip=False)
    url = resolved.store_url
    roots = [load_certificate(path) for path in trust_roots]
    with AuditStore.open(url, create=False) as store:
        created = store.create_checkpoint(signing, workers="auto", trust_roots=roots)
    write_output(json.dumps(created, indent=2, ensure_ascii=False) + "\n", output)
    key = key_of(created)
    fingerprint = f" (key {key.fingerprint})" if key is not None else ""
    click.echo(
        f"Checkpoint: {created['size']} entries, head {created['head_hash']}, "
        f"signed by {created['signer']}{fingerprint} at {created['time']}"
        + (f" -> {output}" if output else ""),
        err=True,
    )
    if created.get("dev_key"):
        click.echo("Signed with a DEVELOPMENT key: not for production.", err=True)
    return EXIT_OK


@audit.command("rebuild")
@_trust_root_option("As for `audit verify`: the keys the log's checkpoints may be signed by.")
@store_option
@config_option
def rebuild(trust_roots: tuple[Path, ...], store_url: str | None, config_file: Path | None) -> int:
    """Rebuild every query table (evaluations, reports, lineage) from the log.

    The log is verified first; a tampered log is not replayed (exit 1).
    """
    from governance.audit import AuditStore
    from governance.keys import load_certificate

    url = resolve_store_url(config_file, store_url)
    roots = [load_certificate(path) for path in trust_roots]
    with AuditStore.open(url, create=False) as store:
        report, replayed = store.rebuild_verified(workers="auto", trust_roots=roots)
    if replayed is None:
        where = f"entry {report.first_bad_seq}: " if report.first_bad_seq else ""
        problem = str(report.problem)
        if problem.startswith(f"entry {report.first_bad_seq} "):
            where = ""
        click.echo(f"TAMPERED: {where}{problem}")
        click.echo("Not rebuilt: verify and repair the log first.", err=True)
        return EXIT_INVALID
    click.echo(f"Rebuilt the projections from {report.entries} entries ({replayed} projected).")
    return EXIT_OK
