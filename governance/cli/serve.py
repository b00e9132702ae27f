"""``governance serve``: the lineage API and the auditors' web view; ``serve keys`` for API keys."""

from __future__ import annotations

from pathlib import Path

import click

from governance.cli.options import config_option, settings, store_option
from governance.errors import ConfigError


def _keys_file(config_file: Path | None, keys_file: Path | None) -> Path:
    value = settings(config_file, serve_keys_file=str(keys_file) if keys_file else None)
    return Path(value.require("serve_keys_file", "pass --keys-file FILE"))


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
    no_access_log: bool,
    config_file: Path | None,
) -> int:
    """Serve the Marquez-compatible lineage API and a read-only web view of the audit trail.

    OpenLineage producers POST events to /api/v1/lineage (an API key with the ingest scope);
    auditors browse models, evaluations, lineage and the audit log at / (the read scope).
    Without any API key the server listens on loopback only.
    """
    if ctx.invoked_subcommand is not None:
        return 0
    from governance.serve.config import ServeConfig, check_bind, parse_size
    from governance.serve.keys import load_keys
    from governance.serve.server import serve as run

    resolved = settings(
        config_file,
        store_url=store_url,
        serve_host=host,
        serve_port=None if port is None else str(port),
        serve_keys_file=str(keys_file) if keys_file else None,
        serve_max_body=max_body,
    )
    url = resolved.require("store_url", "pass --store URL")
    bind = resolved.require("serve_host", "pass --host")
    port_text = resolved.require("serve_port", "pass --port")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"serve_port must be a port number, found {port_text!r}")
    path = Path(resolved.require("serve_keys_file", "pass --keys-file FILE"))
    keys = load_keys(path)
    config = ServeConfig(
        store_url=url,
        keys=keys,
        keys_file=path,
        max_body=parse_size(resolved.require("serve_max_body", "pass --max-body")),
        assume_utc=assume_utc,
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
    click.echo(f"Serving {_masked(url)} on http://{bind}:{port_text}/", err=True)
    run(config, host=bind, port=int(port_text), access_log=not no_access_log)
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
