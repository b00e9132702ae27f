"""Options shared by several commands, and settings resolution from them."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from governance.config import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def store_option(function: F) -> F:
    """``--store URL`` (else GOVERNANCE_STORE_URL, governance.yml, or .governance/audit.db)."""
    return click.option(
        "--store",
        "store_url",
        metavar="URL",
        help="Audit store URL (sqlite:///file.db or postgresql+psycopg://...).",
    )(function)


def config_option(function: F) -> F:
    """``--config FILE``."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Settings file (default: ./governance.yml if present).",
    )(function)


def signing_options(pkcs12_holds: str) -> Callable[[F], F]:
    """``--signing-key`` and ``--signing-cert``, or ``--signing-pkcs12`` (holding ``pkcs12_holds``).

    :func:`signing_flags` turns their values into settings.
    """
    key = click.option(
        "--signing-key", type=click.Path(path_type=Path), help="PEM or DER private key."
    )
    cert = click.option(
        "--signing-cert", type=click.Path(path_type=Path), help="PEM or DER certificate."
    )
    pkcs12 = click.option(
        "--signing-pkcs12",
        type=click.Path(path_type=Path),
        help=f"PKCS#12 file with {pkcs12_holds} (passphrase: GOVERNANCE_SIGNING_PASSPHRASE).",
    )

    def decorate(function: F) -> F:
        return key(cert(pkcs12(function)))

    return decorate


def signed_pdf_options(what: str) -> Callable[[F], F]:
    """The options of a command writing a signed PDF (``what``: the PDF, as the help names it).

    ``--output``, ``--sign/--no-sign``, ``--templates``, ``--attestation``, the signing key
    options, ``--signing-chain`` and ``--tsa-url``.
    """
    options = [
        click.option(
            "--output",
            "-o",
            required=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="The PDF to write (PDF/A-3b).",
        ),
        click.option(
            "--sign/--no-sign",
            default=True,
            show_default=True,
            help=f"Sign the {what} (PAdES) and write its attestation (DSSE, in-toto).",
        ),
        click.option(
            "--templates",
            type=click.Path(file_okay=False, path_type=Path),
            help="A template folder overriding the default theme (report_templates/).",
        ),
        click.option(
            "--attestation",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Where to write the attestation [default: beside the PDF, NAME.intoto.json].",
        ),
        signing_options("key, certificate and chain"),
        click.option(
            "--signing-chain",
            multiple=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="Intermediate certificate to embed in the signature; repeatable.",
        ),
        click.option(
            "--tsa-url", help="RFC 3161 timestamp authority: timestamp the signature (B-T)."
        ),
    ]

    def decorate(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def signing_flags(
    key: Path | None,
    cert: Path | None,
    pkcs12: Path | None = None,
    chain: tuple[Path, ...] = (),
) -> dict[str, str | None]:
    """The signing settings the signing options give (``None``: not given)."""
    return {
        "signing_key": str(key) if key else None,
        "signing_cert": str(cert) if cert else None,
        "signing_pkcs12": str(pkcs12) if pkcs12 else None,
        "signing_chain": os.pathsep.join(map(str, chain)) if chain else None,
    }


def settings(config_file: Path | None, **flags: str | None) -> Settings:
    """Resolve settings with these flag values on top."""
    return load_settings(flags, config_file=config_file)


def resolve_store_url(config_file: Path | None, flag: str | None) -> str:
    """The audit store URL: ``--store``, else GOVERNANCE_STORE_URL, governance.yml, the default."""
    return settings(config_file, store_url=flag).store_url


def write_output(text: str, output: Path | None = None) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout."""
    if output is None:
        click.echo(text, nl=False)
        return
    from governance.reporting.formats.output import write_text_atomic

    write_text_atomic(output, text)
