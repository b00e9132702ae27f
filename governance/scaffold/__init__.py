"""A starting manifest and policy from a data file and a model file (``governance init``).

What can be read is read: the model's columns (``feature_names_in_``) and classes (``classes_``)
from the model, loaded as ``governance check`` loads it (an untrusted skops file holds only
audited types, :mod:`governance.model_artifact`); the header and the first
:data:`~governance.scaffold.inference.SAMPLE_ROWS` rows of the data, with the project's own
reader (:mod:`governance.data`).
What cannot be read is guessed, and every guess is marked in the written YAML with a
``# guessed: ...; check it`` comment:

- the target: a column the model does not read whose values are the model's classes (or, failing
  that, any two-valued column), preferring names like ``label``, ``target``, ``y``, ``outcome``;
- the positive label: the model's class that reads as the favourable outcome (``1``, ``true``,
  ``yes``, ``approved``, ``good``, ``>50K``); when neither or both do, ``--positive-label``;
- the sensitive features: columns named like a protected attribute (sex, gender, race,
  ethnicity, age, religion, disability, marital status, national origin, ...) with at most
  :data:`~governance.scaffold.inference.MAX_GROUPS` values in the sample (a raw ``age`` with 60
  values is left out, with a note to band it).

The policy ``extends`` a shipped pack (``pack:fairness-baseline`` by default) and has no rules
of its own. Nothing is written unless both files render and validate with the project's own
loaders, and neither exists (unless ``force``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.errors import InputError
from governance.paths import ALLOWED_PATHS_ENV, confined
from governance.scaffold.inference import Guess, Inference, infer
from governance.scaffold.render import relative, render_manifest, render_policy

__all__ = [
    "DEFAULT_EXTENDS",
    "DEFAULT_PACK",
    "Guess",
    "Inference",
    "Scaffold",
    "infer",
    "render_manifest",
    "render_policy",
    "scaffold",
    "validate",
    "write_scaffold",
]

DEFAULT_PACK = "fairness-baseline"
DEFAULT_EXTENDS = f"pack:{DEFAULT_PACK}"
EXISTS = "already exists: nothing was written"
EXISTS_HINT = "pass --force to overwrite it, or --output/--policy-output to write elsewhere"
UNREACHABLE = (
    "the {what} file is outside the folders the {file} may name (its own folder and the working "
    "directory): `governance check` would refuse it"
)
UNREACHABLE_HINT = (
    "write the {file} beside it, run from a folder that holds both, or list its folder in {env}"
)
SAME_OUTPUT = "the manifest and the policy would be the same file"


@dataclass(frozen=True)
class Scaffold:
    """The manifest and policy texts, where they go, and what was guessed."""

    manifest_path: Path
    manifest_text: str
    policy_path: Path
    policy_text: str
    inference: Inference
    extends: tuple[str, ...]


def scaffold(
    data: Path,
    model: Path,
    *,
    manifest_path: Path,
    policy_path: Path,
    extends: Sequence[str] = (DEFAULT_EXTENDS,),
    owner: str | None = None,
    force: bool = False,
    **given: Any,
) -> Scaffold:
    """Infer, render and validate the manifest and policy; nothing is written.

    Parameters
    ----------
    data, model
        As :func:`infer`.
    manifest_path, policy_path
        Where the files are to be written: the manifest names the data and model relative to
        its folder, the policy its base relative to its own (a ``pack:`` reference as given).
    extends
        What the policy extends, each ``pack:NAME`` or a policy file (relative to the working
        directory).
    owner
        The model's owner; a placeholder to replace when not given.
    force
        Overwrite existing files; otherwise an existing one is an InputError.
    **given
        ``target``, ``positive_label``, ``sensitive``, ``name``, ``trust_model`` for
        :func:`infer`.

    Returns
    -------
    Scaffold
        Both texts, validated by the manifest and policy loaders.

    Raises
    ------
    InputError
        As :func:`infer`, or an output file exists (without ``force``), or both outputs are
        the same file.
    """
    if manifest_path.resolve() == policy_path.resolve():
        raise InputError(SAME_OUTPUT, path=manifest_path)
    from governance.reporting.formats.output import check_writable

    for path in (manifest_path, policy_path):
        if not force and (path.exists() or path.is_symlink()):
            raise InputError(EXISTS, path=path, hint=EXISTS_HINT)
        check_writable(path)
    from governance.policy.packs import find_pack, unknown_pack

    for base in extends:
        if base.startswith("pack:") and find_pack(base.removeprefix("pack:")) is None:
            raise InputError(unknown_pack(base.removeprefix("pack:")))
    named_files = [("data", data, manifest_path.parent), ("model", model, manifest_path.parent)]
    named_files += [
        ("extended policy", Path(base), policy_path.parent)
        for base in extends
        if not base.startswith("pack:")
    ]
    for named, path, folder in named_files:
        if confined(str(path.resolve()), folder.resolve()) is None:
            raise InputError(
                UNREACHABLE.format(what=named, path=path, file=_written_by(named)),
                path=path,
                hint=UNREACHABLE_HINT.format(file=_written_by(named), env=ALLOWED_PATHS_ENV),
            )
    inference = infer(data, model, **given)
    bases = tuple(dict.fromkeys(_relative_extends(base, policy_path) for base in extends))
    manifest_text = render_manifest(
        inference,
        data=relative(data, manifest_path.parent),
        model=relative(model, manifest_path.parent),
        owner=owner,
        sources=(data.name, model.name),
    )
    policy_text = render_policy(inference.name, bases)
    built = Scaffold(manifest_path, manifest_text, policy_path, policy_text, inference, bases)
    validate(built)
    return built


def write_scaffold(built: Scaffold) -> None:
    """Write both files, each through a partial file renamed into place.

    Raises
    ------
    ConfigError
        If a folder does not exist or a file cannot be written.
    """
    from governance.reporting.formats.output import write_text_atomic

    write_text_atomic(built.manifest_path, built.manifest_text)
    write_text_atomic(built.policy_path, built.policy_text)


def validate(built: Scaffold) -> None:
    """Load both texts with the project's loaders, from scratch files beside their targets.

    Raises
    ------
    InternalError
        If either does not validate: a scaffold must always be loadable.
    """
    import tempfile

    from governance.checks import default_registry
    from governance.errors import GovernanceError, InternalError
    from governance.manifest import load_manifest
    from governance.policy.loader import load_policy

    for path, text, load in (
        (built.manifest_path, built.manifest_text, load_manifest),
        (built.policy_path, built.policy_text, lambda p: load_policy(p, default_registry())),
    ):
        handle, scratch = tempfile.mkstemp(prefix=".init-", suffix=".yaml", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            load(Path(scratch))
        except GovernanceError as exc:
            raise InternalError(f"governance init wrote an invalid file: {exc}") from exc
        finally:
            Path(scratch).unlink(missing_ok=True)


def _written_by(what: str) -> str:
    return "policy" if what == "extended policy" else "manifest"


def _relative_extends(extends: str, policy_path: Path) -> str:
    """A pack as given; a file relative to the policy (below it or the working directory)."""
    if extends.startswith("pack:"):
        return extends
    path = Path(extends).resolve()
    if path.is_relative_to(policy_path.parent.resolve()) or path.is_relative_to(Path.cwd()):
        return relative(path, policy_path.parent)
    return path.as_posix()
