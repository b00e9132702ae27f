"""docs/security.md and tests/security/ name each other: every claim has its tests."""

from __future__ import annotations

import re

from tests.conftest import REPO

DOC = REPO / "docs" / "security.md"
HERE = REPO / "tests" / "security"


def test_every_security_test_file_is_named_in_the_threat_model_and_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`(test_[a-z_]+\.py)`", text))
    present = {path.name for path in HERE.glob("test_*.py")} - {"test_threat_model.py"}
    assert named - present == set(), "named in docs/security.md but missing"
    assert present - named == set(), "tests not named in docs/security.md"


def test_every_guarantee_names_its_tests() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(
        r"^### ", text.split("## Guarantees", 1)[1].split("## Out of scope")[0], flags=re.M
    )[1:]
    assert sections
    for section in sections:
        title = section.splitlines()[0]
        assert re.search(r"^Tests: .*`test_[a-z_]+\.py`", section, flags=re.M), title
