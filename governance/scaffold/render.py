"""The manifest and policy texts of ``governance init``, each guessed value marked."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from governance.scaffold.inference import Inference

DEFAULT_OWNER = "change-me@example.org"
DEFAULT_VERSION = "0.1.0"


def render_manifest(
    inference: Inference,
    *,
    data: str,
    model: str,
    owner: str | None,
    sources: tuple[str, str],
) -> str:
    """The manifest's YAML, each guessed value marked with a comment.

    Parameters
    ----------
    inference
        What was read and guessed.
    data, model
        The paths to write (relative to the manifest's folder).
    owner
        The owner, or None for a placeholder.
    sources
        The data and model file names, for the header comment.

    Returns
    -------
    str
        The document.
    """

    def marked(field_name: str) -> list[str]:
        found = inference.guess(field_name)
        return [] if found is None else _comment([f"guessed: {found.reason}; check it"], indent=2)

    if inference.features is None:
        features = [
            "  # the model was fitted without column names: it gets every column but the target",
            "  features: null",
        ]
    else:
        features = [
            "  # the columns the model was fitted on (its feature_names_in_)",
            _list("features", inference.features),
        ]
    lines = [
        f"# Written by `governance init` from {sources[0]} and {sources[1]}.",
        '# Every "guessed" value was inferred: check it, then remove the mark. docs/manifest.md',
        "# describes each field.",
        "apiVersion: governance/v1",
        "kind: Model",
        "metadata:",
        *marked("metadata.name"),
        f"  name: {_scalar(inference.name)}",
        f"  version: {DEFAULT_VERSION}  # your model's version (MAJOR.MINOR.PATCH)",
        f"  owner: {_scalar(owner or DEFAULT_OWNER)}"
        + ("" if owner else "  # who answers for the model: set it"),
        *marked("metadata.risk_tier"),
        f"  risk_tier: {_scalar(inference.risk_tier)}",
        "  # set it: the regulatory packs check the model's documentation (docs/manifest.md)",
        "  intended_use: >-",
        "    What the model is for, and what it must not be used for.",
        "model:",
        f"  path: {_scalar(model)}",
        "  format: skops",
        "data:",
        f"  path: {_scalar(data)}",
        *marked("data.target"),
        f"  target: {_scalar(inference.target)}",
        *marked("data.positive_label"),
        f"  positive_label: {_scalar(inference.positive_label)}",
        *_comment(inference.notes, indent=2),
        *marked("data.sensitive_features"),
        _list("sensitive_features", inference.sensitive_features),
        *features,
    ]
    return "\n".join(lines) + "\n"


def render_policy(model_name: str, extends: Sequence[str]) -> str:
    """The policy's YAML: it extends ``extends`` and adds nothing yet.

    Parameters
    ----------
    model_name
        The model's name; the policy is ``<name>-policy``.
    extends
        The ``extends`` entries, as written.

    Returns
    -------
    str
        The document.
    """
    lines = [
        "# Written by `governance init`: the rules your model must meet, starting from a shipped",
        "# pack (`governance packs` lists them; docs/packs.md describes each). Tighten a pack's",
        "# rule under `overrides`, add your own under `rules` (docs/policies.md).",
        "apiVersion: governance/v1",
        "kind: Policy",
        "metadata:",
        f"  name: {_scalar(model_name + '-policy')}",
        f"  version: {DEFAULT_VERSION}",
        "extends:",
        *[f"  - {_scalar(base)}" for base in extends],
        "# overrides:",
        "#   accuracy:",
        "#     threshold: {min: 0.8}",
    ]
    return "\n".join(lines) + "\n"


def _comment(notes: Iterable[str], *, indent: int) -> list[str]:
    """Each note as comment lines of at most 100 characters."""
    import textwrap

    prefix = " " * indent + "# "
    return [
        line
        for note in notes
        for line in textwrap.wrap(note, 100, initial_indent=prefix, subsequent_indent=prefix + "  ")
    ]


def _scalar(value: Any) -> str:
    """``value`` as one YAML flow scalar, quoted when YAML would read it as something else."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1_000_000)
    return text.removesuffix("\n").removesuffix("\n...")


def _list(key: str, values: Sequence[str]) -> str:
    """``  key: [a, b]``, or a block list below ``  key:`` when that would pass 100 characters."""
    items = [_scalar(value) for value in values]
    one_line = f"  {key}: [" + ", ".join(items) + "]"
    if len(one_line) <= 100:
        return one_line
    return f"  {key}:\n" + "\n".join(f"    - {item}" for item in items)


def relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (both resolved), with ``/`` between parts."""
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
