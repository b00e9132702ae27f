"""``governance serve``: the lineage API and the auditors' web view; ``serve keys`` for API keys."""

from __future__ import annotations

import os
from pathlib import Path

import click

from governance.cli.options import config_option, settings, store_option


def _keys_file(config_file: Path | None, keys_file: Path | None) -> Path:
    return settings(
        config_file, serve_keys_file=str(keys_file) if keys_file else None
    ).serve_keys_file


def keys_file_option(function: click.decorators.FC) -> click.decorators.FC:
    """``--keys-file FILE``."""
    return click.option(
        "--keys-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="API keys file [default: .governance/serve-keys.json].",
    )(function)


@click.group(invoke_without_command=True)
@store_option
@click.option("--host", help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), help="Port [default: 5000].")
@keys_file_option
@click.option(
    "--max-body",
    metavar="BYTES",
    help="Largest request body, e.g. 8M [default: 8388608].",
)
@click.option(
    "--assume-utc",
    is_flag=True,
    help="Accept events whose eventTime has no time zone, read as UTC.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    metavar="NAME",
    multiple=True,
    help="A host name clients address the server by, besides loopback ones; repeatable.",
)
@click.option(
    "--reports-dir",
    "reports_dirs",
    metavar="DIR",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder whose recorded reports may be downloaded; repeatable [default: none].",
)
@click.option("--no-access-log", is_flag=True, help="Do not log every request.")
@config_option
@click.pass_context
def serve(
    ctx: click.Context,
    store_url: str | None,
    host: str | None,
    port: int | None,
    keys_file: Path | None,
    max_body: str | None,
    assume_utc: bool,
    allowed_hosts: tuple[str, ...],
    reports_dirs: tuple[Path, ...],
    no_access_log: bool,
    config_file: Path | None,
) -> int:
    """Serve the Marquez-compatible lineage API and a read-only web view of the audit trail.

    OpenLineage producers POST events to /api/v1/lineage (an API key with the ingest scope);
    auditors browse models, evaluations, lineage and the audit log at / (the read scope).
    Without any API key the server listens on loopback only. Requests must be addressed to
    a loopback name, the --host address or an --allowed-host name. Reports are downloadable
    only from --reports-dir folders.
    """
    if ctx.invoked_subcommand is not None:
        return 0
    from governance.extras import require

    require("gate")
    require("serve")
    from governance.serve.config import ServeConfig, check_bind, is_wildcard
    from governance.serve.keys import load_keys
    from governance.serve.server import serve as run

    resolved = settings(
        config_file,
        store_url=store_url,
        serve_host=host,
        serve_port=None if port is None else str(port),
        serve_keys_file=str(keys_file) if keys_file else None,
        serve_max_body=max_body,
        serve_allowed_hosts=",".join(allowed_hosts) or None,
        serve_reports_dirs=os.pathsep.join(map(str, reports_dirs)) or None,
    )
    url, bind, port = resolved.store_url, resolved.serve_host, resolved.serve_port
    path = resolved.serve_keys_file
    keys = load_keys(path)
    config = ServeConfig(
        store_url=url,
        keys=keys,
        keys_file=path,
        max_body=resolved.serve_max_body,
        assume_utc=assume_utc,
        allowed_hosts=resolved.serve_allowed_hosts,
        reports_dirs=resolved.serve_reports_dirs,
        required_policies=resolved.required_policies,
        approvals=resolved,
    )
    check_bind(bind, keys)
    if keys:
        click.echo(f"{len(keys.keys)} API key(s) from {path}: requests need one.", err=True)
    else:
        click.echo(
            f"No API keys configured ({path} has none): listening on loopback only, "
            "without authentication. Add one with `governance serve keys add`.",
            err=True,
        )
    if config.reports_dirs:
        folders = ", ".join(map(str, config.reports_dirs))
        click.echo(
            f"Report downloads from {folders} (PDFs whose sha256 the log records).", err=True
        )
    else:
        click.echo("Report downloads are off: pass --reports-dir DIR to serve them.", err=True)
    if is_wildcard(bind) and not config.allowed_hosts:
        click.echo(
            f"Listening on every address of {bind}, but only requests addressed to a loopback "
            "name are answered: pass --allowed-host NAME for each name clients use.",
            err=True,
        )
    click.echo(f"Serving {_masked(url)} on http://{bind}:{port}/", err=True)
    run(config, host=bind, port=port, access_log=not no_access_log)
    return 0


def _masked(url: str) -> str:
    from governance.store.url import mask_url

    return mask_url(url)


@serve.group("keys")
def keys() -> None:
    """Manage the API keys of governance serve (stored hashed; shown once)."""


@keys.command("add")
@click.option(
    "--scope",
    "scopes",
    type=click.Choice(["ingest", "read"]),
    multiple=True,
    required=True,
    help="What the key may do (repeatable): ingest posts events, read reads everything.",
)
@click.option("--name", default="", help="Who uses the key (shown in listings).")
@keys_file_option
@config_option
def add(
    scopes: tuple[str, ...], name: str, keys_file: Path | None, config_file: Path | None
) -> int:
    """Create an API key and print it once (only its sha256 is kept)."""
    from governance.serve.keys import add_key

    path = _keys_file(config_file, keys_file)
    token, record = add_key(path, scopes, name=name)
    click.echo(token)
    click.echo(
        f"Key {record.id} ({', '.join(record.scopes)}) added to {path}. "
        "This is the only time it is shown: store it now.",
        err=True,
    )
    return 0


@keys.command("list")
@keys_file_option
@config_option
def list_keys(keys_file: Path | None, config_file: Path | None) -> int:
    """List the keys: id, scopes, name and creation time (never the keys)."""
    from governance.serve.keys import load_keys

    path = _keys_file(config_file, keys_file)
    ring = load_keys(path)
    for key in ring.keys:
        click.echo(f"{key.id}  {','.join(key.scopes):<12} {key.created_at}  {key.name}")
    if not ring:
        click.echo(f"(no keys in {path})", err=True)
    return 0


@keys.command("revoke")
@click.argument("key_id")
@keys_file_option
@config_option
def revoke(key_id: str, keys_file: Path | None, config_file: Path | None) -> int:
    """Remove a key; a running server must be restarted to stop accepting it."""
    from governance.serve.keys import revoke_key

    path = _keys_file(config_file, keys_file)
    record = revoke_key(path, key_id)
    click.echo(f"Key {record.id} revoked; restart governance serve to apply.", err=True)
    return 0
