"""Errors are answered by their class (NotFound 404, StoreUnavailable 503), never by their text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from governance.errors import (
    EXIT_USAGE,
    EvaluationNotFound,
    InputError,
    LineageNotFound,
    NotFound,
    StoreError,
    StoreUnavailable,
    VerificationFailed,
)
from tests.serve.conftest import Seeded, config_for

MISSING_ID = "0193a000-0000-7000-8000-0000000000ff"


def test_each_error_class_carries_its_http_status_beside_its_exit_code() -> None:
    assert (NotFound.http_status, NotFound.exit_code) == (404, EXIT_USAGE)
    assert (StoreUnavailable.http_status, StoreUnavailable.exit_code) == (503, EXIT_USAGE)
    assert (InputError.http_status, VerificationFailed.http_status) == (400, 409)
    # The specific ones stay what they were for callers that catch StoreError / LineageError.
    assert issubclass(EvaluationNotFound, StoreError) and EvaluationNotFound.http_status == 404
    assert issubclass(StoreUnavailable, StoreError)
    assert LineageNotFound.http_status == 404


def test_what_is_not_recorded_answers_404(seeded: Seeded, client_for: Any) -> None:
    client = client_for(config_for(seeded.url))
    assert client.get(f"/api/v1/evaluations/{MISSING_ID}").status_code == 404
    assert client.get("/api/v1/lineage", params={"nodeId": "dataset:nowhere:x"}).status_code == 404
    assert client.get(f"/api/v1/jobs/runs/{MISSING_ID}").status_code == 404
    assert client.get("/api/v1/lineage", params={"nodeId": "nonsense"}).status_code == 400


def _vanish(url: str) -> None:
    database = Path(url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/evaluations/{MISSING_ID}",
        "/api/v1/evaluations/latest",
        "/api/v1/lineage?nodeId=dataset:nowhere:x",
        f"/api/v1/jobs/runs/{MISSING_ID}",
        "/api/v1/namespaces",
        "/api/v1/reports",
    ],
)
def test_a_store_that_vanished_answers_503_not_404(
    seeded: Seeded, client_for: Any, path: str
) -> None:
    client = client_for(config_for(seeded.url))
    _vanish(seeded.url)
    # Connections opened before keep reading the deleted file; new ones find it gone.
    client.app.state.governance.store.engine.dispose()
    answer = client.get(path)
    assert answer.status_code == 503, answer.text
    message = answer.json()["message"]
    assert message.startswith("the audit store could not answer (request ")
    assert seeded.url.removeprefix("sqlite:///") not in message


def test_the_library_says_unavailable_for_a_vanished_store(seeded: Seeded) -> None:
    from governance.audit import open_store

    with open_store(seeded.url, create=False) as store:
        _vanish(seeded.url)
        store.engine.dispose()
        with pytest.raises(StoreUnavailable) as caught:
            store.get_evaluation(seeded.record["evaluation_id"])
    assert caught.value.exit_code == EXIT_USAGE
    assert "cannot read audit store" in str(caught.value)
