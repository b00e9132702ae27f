"""Is a re-trained sample model the committed one? Compared by what matters, not by bytes.

The bytes of a retrained skops file are not a property of the training script alone: the
fitted floats come from BLAS kernels that OpenBLAS picks for the CPU (AVX2 and AVX-512 round
differently in the last bits: the committed models re-train to the same bytes on one machine and
differ by 1e-8 on another, with the same library versions), and the file's structure from the
scikit-learn and skops versions. So the tests check what a user of the model relies on:

- its predictions on the test set are the committed model's, and its scores agree to 1e-6;
- its structure and fitted parameters are the committed file's (floats to a relative 1e-6),
  which holds for the scikit-learn and skops versions that wrote the file: with others the
  check is skipped, naming both (in CI, where the lock installs those versions, a skip fails).
"""

from __future__ import annotations

import io
import json
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

RTOL = 1e-6
ATOL = 1e-9


def read_skops(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The schema and the arrays of a skops file."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(archive.read("schema.json"))
    arrays = {
        name: np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
        for name in archive.namelist()
        if name.endswith(".npy")
    }
    return schema, arrays


def writer_versions(schema: dict[str, Any]) -> dict[str, str]:
    """The scikit-learn and skops versions that wrote a skops file (from its schema)."""
    found = {"skops": str(schema.get("_skops_version"))}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            version = node.get("_sklearn_version")
            if isinstance(version, dict) and "scikit-learn" not in found:
                found["scikit-learn"] = json.loads(version["content"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def skip_unless_writer_versions(committed: Path) -> None:
    """Skip, naming the versions, when the installed ones did not write ``committed``."""
    wrote = writer_versions(read_skops(committed.read_bytes())[0])
    installed = {name: metadata.version(name) for name in wrote}
    if installed != wrote:
        pytest.skip(
            f"{committed.name} holds for {_versions(wrote)}; installed: {_versions(installed)}"
        )


def _versions(versions: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))


def assert_same_predictions(retrained: Any, committed: Any, X: Any) -> None:
    """The same labels on every row of ``X``, and scores that agree to 1e-6."""
    np.testing.assert_array_equal(retrained.predict(X), committed.predict(X))
    np.testing.assert_allclose(
        retrained.decision_function(X), committed.decision_function(X), rtol=RTOL, atol=1e-6
    )


def assert_same_parameters(retrained: bytes, committed: bytes) -> None:
    """The same structure (schema) and fitted arrays, floats to a relative 1e-6."""
    schema, arrays = read_skops(retrained)
    committed_schema, committed_arrays = read_skops(committed)
    assert schema == committed_schema
    assert arrays.keys() == committed_arrays.keys()
    for name, array in arrays.items():
        expected = committed_arrays[name]
        assert (array.dtype, array.shape) == (expected.dtype, expected.shape), name
        if array.dtype.kind in "fc":
            np.testing.assert_allclose(array, expected, rtol=RTOL, atol=ATOL, err_msg=name)
        else:
            np.testing.assert_array_equal(array, expected, err_msg=name)
