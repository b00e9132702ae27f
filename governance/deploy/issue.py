"""Issuing a VSA for a gate's verdict: checked before the gate runs, written after it.

:func:`plan_vsa` refuses a path that cannot be written and loads the signing key before
anything is evaluated or recorded (a bad one is exit 2 with the store untouched);
:func:`write_vsa` writes the envelope and the bundle from the recorded evaluation, both or
neither (one atomic write).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.deploy.bundle import bundle_path, json_bytes, sign_vsa, to_bundle
from governance.deploy.vsa import NO_MODEL_ARTIFACT, NO_MODEL_HINT, ImageDigest, build_vsa
from governance.errors import ConfigError, InputError

if TYPE_CHECKING:
    from governance.config import Settings
    from governance.gate import CheckOptions, PreparedCheck
    from governance.keys import SigningMaterial

DRY_RUN_VSA = "--vsa needs a recorded evaluation: a dry run records nothing"
DRY_RUN_VSA_HINT = "drop --dry-run, or drop --vsa"
CANNOT_WRITE = "cannot write the VSA: {reason}"
SAME_FILE = "{first} and {second} would both write {path}"


def add_vsa_files(written: dict[Path, str], vsa: Path) -> None:
    """Add the VSA's two files to ``written`` (path: what), refusing one already there.

    Raises
    ------
    ConfigError
        If the envelope or the bundle is a file the command already writes (the report...).
    """
    import os

    seen = {os.path.normcase(os.path.abspath(path)): what for path, what in written.items()}
    for path, what in ((vsa, "the VSA"), (bundle_path(vsa), "the VSA's bundle")):
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            raise ConfigError(SAME_FILE.format(first=seen[key], second=what, path=path))
        seen[key] = what
        written[path] = what


def needs_model_artifact(
    prepare: Callable[[CheckOptions], PreparedCheck],
) -> Callable[[CheckOptions], PreparedCheck]:
    """``prepare``, refusing a manifest without a model file (a VSA binds one by digest).

    A registered model (``model.uri``) has one: the file loaded from the registry.

    The refusal comes with the other input errors, before anything is recorded.
    """

    def prepare_with_model(options: CheckOptions) -> PreparedCheck:
        prepared = prepare(options)
        if "model" not in prepared.digests:
            raise InputError(NO_MODEL_ARTIFACT, field="vsa", hint=NO_MODEL_HINT)
        return prepared

    return prepare_with_model


@dataclass(frozen=True)
class VsaPlan:
    """Where a VSA goes and the key that signs it, checked before the gate runs.

    Parameters
    ----------
    envelope
        The DSSE envelope's file.
    bundle
        The Sigstore bundle's file (beside the envelope).
    material
        The loaded signing key and certificate.
    image
        A container image to name as a second subject.
    """

    envelope: Path
    bundle: Path
    material: SigningMaterial
    image: ImageDigest | None = None


def plan_vsa(
    path: Path, settings: Settings, *, image: ImageDigest | None = None, dry_run: bool = False
) -> VsaPlan:
    """Check that a VSA can be written to ``path`` and signed with the configured key.

    Raises
    ------
    InputError
        A dry run, a path (or its bundle's) that cannot be written, or no usable signing key
        (``SigningError``); nothing has been written.
    """
    from governance.keys import load_signing_material
    from governance.reporting.formats.output import check_writable
    from governance.reports import signing_from_settings

    if dry_run:
        raise InputError(DRY_RUN_VSA, field="vsa", hint=DRY_RUN_VSA_HINT)
    path = Path(path)
    check_writable(path)
    check_writable(bundle_path(path))
    config = signing_from_settings(settings, purpose="VSA", can_skip=False)
    material = load_signing_material(config)
    return VsaPlan(envelope=path, bundle=bundle_path(path), material=material, image=image)


def write_vsa(record: Mapping[str, Any], plan: VsaPlan) -> dict[str, Any]:
    """Write the signed VSA of ``record`` as ``plan`` says; return the statement.

    Raises
    ------
    InputError
        If the record has no model artifact, or the files cannot be written.
    """
    from governance.files import write_atomic

    statement = build_vsa(record, image=plan.image)
    envelope = sign_vsa(statement, plan.material)
    bundle = to_bundle(envelope, plan.material)
    try:
        write_atomic([(plan.envelope, json_bytes(envelope)), (plan.bundle, json_bytes(bundle))])
    except OSError as exc:
        raise InputError(
            CANNOT_WRITE.format(reason=exc.strerror or exc), path=exc.filename
        ) from exc
    return statement
