"""``governance init``: a starting manifest and policy from a data file and a model file."""

from __future__ import annotations

from pathlib import Path

import click

from governance.scaffold import DEFAULT_PACK


@click.command()
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path),
    help="Evaluation data (CSV or Parquet): its header and first rows are read.",
)
@click.option(
    "--model",
    required=True,
    type=click.Path(path_type=Path),
    help="The model, a skops file (skops.io.dump); loaded as `check` loads it.",
)
@click.option("--target", metavar="COLUMN", help="The label column [default: guessed].")
@click.option(
    "--positive-label",
    metavar="VALUE",
    help="The favourable class, one of the model's classes [default: guessed].",
)
@click.option(
    "--sensitive",
    multiple=True,
    metavar="COLUMN",
    help="A sensitive feature; repeatable [default: columns named like sex, race, age, ...].",
)
@click.option("--name", help="The model's name [default: the model file's name].")
@click.option("--owner", help="Who answers for the model (e-mail or team).")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("manifest.yaml"),
    show_default=True,
    help="Where to write the manifest.",
)
@click.option(
    "--policy-output",
    type=click.Path(path_type=Path),
    default=Path("policy.yaml"),
    show_default=True,
    help="Where to write the policy.",
)
@click.option(
    "--pack",
    "packs",
    multiple=True,
    metavar="NAME",
    help=f"A shipped pack the policy extends; repeatable (`governance packs` lists them) "
    f"[default: {DEFAULT_PACK}, unless --extends is given].",
)
@click.option(
    "--extends",
    "extends",
    multiple=True,
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="A policy file the policy extends; repeatable.",
)
@click.option(
    "--trust-model",
    is_flag=True,
    help="Load skops types outside the audited list (runs code from the file: only for files "
    "whose origin you trust); `check` then needs it too.",
)
@click.option("--force", is_flag=True, help="Overwrite the manifest and policy if they exist.")
def init(
    data: Path,
    model: Path,
    target: str | None,
    positive_label: str | None,
    sensitive: tuple[str, ...],
    name: str | None,
    owner: str | None,
    output: Path,
    policy_output: Path,
    packs: tuple[str, ...],
    extends: tuple[Path, ...],
    trust_model: bool,
    force: bool,
) -> int:
    """Write a starting manifest and a policy extending a pack, from DATA and MODEL.

    The model's columns and classes are read from the model; the target, positive label and
    sensitive features are guessed when not given, and every guess is marked
    `# guessed: ...; check it` in the manifest. Exit 0 written; 2 when the model cannot be
    loaded, the data has no binary target, a value cannot be guessed, or a file exists (without
    --force): then nothing is written.
    """
    from governance.scaffold import scaffold, write_scaffold

    built = scaffold(
        data,
        model,
        manifest_path=output,
        policy_path=policy_output,
        extends=[f"pack:{name}" for name in packs] + [str(path) for path in extends]
        or [f"pack:{DEFAULT_PACK}"],
        owner=owner,
        force=force,
        target=target,
        positive_label=positive_label,
        sensitive=sensitive,
        name=name,
        trust_model=trust_model,
    )
    write_scaffold(built)
    guesses = built.inference.guesses
    click.echo(
        f"Wrote {output} (model {built.inference.name}) and {policy_output} "
        f"(extends {', '.join(built.extends)})."
    )
    if guesses:
        click.echo(f"Guessed {len(guesses)} values; check each (marked '# guessed' in {output}):")
        width = max(len(guess.field) for guess in guesses)
        for guess in guesses:
            click.echo(f"  {guess.field:<{width}}  {_shown(guess.value)}  ({guess.reason})")
    for note in built.inference.notes:
        click.echo(f"Note: {note}")
    trust = " --trust-model" if trust_model else ""
    click.echo(f"Next: governance check {output} -p {policy_output}{trust}")
    return 0


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return repr(value) if isinstance(value, str) else str(value)
