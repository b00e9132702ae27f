"""The server keeps the promises of its OpenAPI document (schemathesis against a live server).

Every operation gets generated requests, valid and invalid; each answer must have a documented
status, content type and schema, and no request may cause a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from governance.canonical import sha256_hex
from governance.serve.app import create_app
from governance.serve.config import ServeConfig
from governance.serve.keys import ApiKey, KeyRing
from governance.store import sqlite_url_for
from tests.serve.conftest import LiveServer, seed_store, start_server, stop_server

DOCUMENT = create_app(ServeConfig(store_url="sqlite:///unused.db")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
TOKEN = "gov_0a0b0c0d_schemathesis-key-for-tests"
KEYS = KeyRing(
    (ApiKey("0a0b0c0d", "schemathesis", ("ingest", "read"), sha256_hex(TOKEN), "2026-11-27"),)
)


@schema.auth()
class BearerKey:
    """A valid key for generated requests; schemathesis also tries none and wrong ones."""

    def get(self, case: Any, context: Any) -> str:
        return TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server on a seeded store, for the whole module."""
    folder = tmp_path_factory.mktemp("openapi")
    seeded = seed_store(folder, sqlite_url_for(folder / "audit.db"))
    server = start_server(ServeConfig(store_url=seeded.url, keys=KEYS))
    yield server
    stop_server(server)


def test_document_declares_every_route_and_errors() -> None:
    paths = DOCUMENT["paths"]
    assert "/api/v1/lineage" in paths
    assert {"get", "post"} <= set(paths["/api/v1/lineage"])
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
            if path != "/api/v1/health":
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
                assert "401" in operation["responses"], (method, path)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_document(case: Any, api: LiveServer) -> None:
    case.call_and_validate(base_url=api.url, timeout=30)


def test_document_is_served(api: LiveServer) -> None:
    import requests

    served = requests.get(f"{api.url}/api/v1/openapi.json", timeout=10).json()
    assert served["paths"].keys() == DOCUMENT["paths"].keys()
