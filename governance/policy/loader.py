"""Load and validate policy files; every problem names the file, line and field.

:func:`load_policy` reads one file (:mod:`governance.policy.document`). :func:`load_policies`
reads the files given and every policy they extend (see :mod:`governance.policy.compose`),
applies overrides, and checks that rule ids are unique across everything loaded.

A directory given as a policy holds policies (``*.yaml``, ``*.yml``), policy tests
(``*.test.yaml``, run by ``governance policy test``) and waivers files (``kind: Waivers``,
found by :func:`waiver_files_in` and applied as if each were given with ``--waivers``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from governance.checks.registry import CheckRegistry
from governance.errors import PolicyError
from governance.policy.compose import load_closure
from governance.policy.document import load_policy
from governance.policy.model import Policy
from governance.policy.packs import is_pack_ref, resolve_pack_ref
from governance.yaml_source import load_yaml_text

__all__ = [
    "expand_policy_paths",
    "is_policy_test",
    "is_waivers_file",
    "load_policies",
    "load_policy",
    "waiver_files_in",
]

POLICY_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".test.yaml", ".test.yml")
PACK_IS_NO_TEST = "{ref} is a policy, not a policy test file (kind: PolicyTest)"
WAIVERS_KIND = "Waivers"


def is_policy_test(path: Path) -> bool:
    """Whether ``path`` is named like a policy test file (``*.test.yaml``)."""
    return path.name.endswith(TEST_SUFFIXES)


def is_waivers_file(path: Path) -> bool:
    """Whether ``path`` holds one YAML mapping with ``kind: Waivers``.

    Read leniently: a file that cannot be read or parsed is not a waivers file, so it is loaded
    as a policy and its error reported as such.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if WAIVERS_KIND not in text:
        return False
    try:
        documents = [doc for doc in load_yaml_text(text, path, PolicyError) if doc is not None]
    except (PolicyError, RecursionError):
        return False
    return (
        len(documents) == 1
        and isinstance(documents[0], dict)
        and documents[0].get("kind") == WAIVERS_KIND
    )


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file())


def expand_policy_paths(paths: Iterable[str | Path], *, tests: bool = False) -> list[Path]:
    """Files as given, ``pack:NAME`` as the shipped pack's file, directories' files sorted.

    In a directory, ``*.test.yaml``/``*.test.yml`` files are policy tests, ``kind: Waivers``
    files are waivers (see :func:`waiver_files_in`) and the other ``*.yaml``/``*.yml`` files
    are policies; ``tests`` chooses between policies and tests.
    """
    expanded: list[Path] = []
    what = "policy test files (*.test.yaml)" if tests else "policy files (*.yaml, *.yml)"
    for item in paths:
        if is_pack_ref(item):
            if tests:
                raise PolicyError(PACK_IS_NO_TEST.format(ref=item))
            expanded.append(resolve_pack_ref(item))
            continue
        path = Path(item)
        if path.is_dir():
            found = [
                p
                for p in _yaml_files(path)
                if is_policy_test(p) == tests and (tests or not is_waivers_file(p))
            ]
            if not found:
                raise PolicyError(f"directory holds no {what}", path=path)
            expanded.extend(found)
        else:
            expanded.append(path)
    return expanded


def waiver_files_in(paths: Iterable[str | Path]) -> list[Path]:
    """The ``kind: Waivers`` files inside the directories among ``paths``, sorted per directory.

    Files named directly are not looked at: a policy file is a policy, and a waivers file is
    given with ``--waivers``.
    """
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(
                p for p in _yaml_files(path) if not is_policy_test(p) and is_waivers_file(p)
            )
    return found


def load_policies(paths: Sequence[str | Path], registry: CheckRegistry) -> list[Policy]:
    """Load policies and every policy they extend; rule ids must be unique across all."""
    files = expand_policy_paths(paths)
    if not files:
        raise PolicyError("no policy given", hint="pass --policy FILE or --policy pack:NAME")
    return load_closure(files, registry)
