from __future__ import annotations

from typing import Any

import pytest

from tests.lineage.records import evaluation_record
from tests.pg import postgres_server, postgres_url  # noqa: F401 - fixtures
from tests.store.conftest import store, store_url  # noqa: F401 - fixtures


@pytest.fixture
def record() -> dict[str, Any]:
    return evaluation_record()
