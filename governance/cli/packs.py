"""``governance packs``: the policy packs shipped with governance."""

from __future__ import annotations

import json

import click

from governance.errors import EXIT_OK


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def packs(output_format: str) -> int:
    """List the policy packs shipped with governance, usable as --policy pack:NAME.

    Per pack: its version, rules, the controls its rules name (per framework) and its digest, the
    sha256 of its canonical form that a check records with the verdict. A policy of your own
    may build on one with `extends: [pack:NAME]`; `governance policy docs pack:NAME` writes its
    full catalogue.
    """
    from governance.checks import default_registry
    from governance.policy.pack_info import shipped_packs

    found = shipped_packs(default_registry())
    if output_format == "json":
        click.echo(json.dumps([pack.as_dict() for pack in found], indent=2, ensure_ascii=False))
        return EXIT_OK
    width = max((len(pack.ref) for pack in found), default=0)
    for pack in found:
        count = sum(pack.controls.values())
        frameworks = ", ".join(f"{name} {n}" for name, n in pack.controls.items())
        rules = f"{pack.rules} rule{'s' if pack.rules != 1 else ''}"
        click.echo(f"{pack.ref:<{width}}  {pack.version}  {rules}")
        click.echo(f"    controls: {count}" + (f" ({frameworks})" if frameworks else ""))
        click.echo(f"    digest:   {pack.digest}")
    click.echo(
        f"{len(found)} pack{'s' if len(found) != 1 else ''}: use one with --policy pack:NAME, "
        "or extends: [pack:NAME] in a policy"
    )
    return EXIT_OK
