from __future__ import annotations

from typing import Any

import pytest

from tests.lineage.records import evaluation_record


@pytest.fixture
def record() -> dict[str, Any]:
    return evaluation_record()
