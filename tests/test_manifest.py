from __future__ import annotations

from pathlib import Path

import pytest

from governance.errors import ManifestError
from governance.manifest import load_manifest
from tests.conftest import MANIFEST, SAMPLE


def test_sample_manifest_loads_with_paths_relative_to_it() -> None:
    manifest = load_manifest(SAMPLE / "baseline.yaml")
    assert manifest.name == "adult-income"
    assert manifest.data_path == (SAMPLE / "data" / "adult-test.csv.gz").resolve()
    assert manifest.model_path == (SAMPLE / "models" / "baseline.skops").resolve()
    assert manifest.digest.startswith("sha256:") and len(manifest.digest) == 71


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MANIFEST.replace(
                "  owner: team@example.org\n", "  owner: team@example.org\n  colour: red\n"
            ),
            "manifest.yaml:7:3: metadata.colour: unknown key 'colour' in metadata",
        ),
        (
            MANIFEST.replace("  target: label\n", ""),
            "manifest.yaml:9:1: data.target: required field is missing",
        ),
        (
            MANIFEST.replace("risk_tier: high", "risk_tier: extreme"),
            "manifest.yaml:7:14: metadata.risk_tier: Input should be 'minimal', 'limited', 'high' "
            "or 'unacceptable'",
        ),
        (
            MANIFEST.replace("kind: Model", "kind: Modle"),
            "manifest.yaml:2:1: kind: kind must be 'Model', found 'Modle'",
        ),
        (
            MANIFEST.replace("  prediction: prediction\n", ""),
            "manifest.yaml:1:1: give either model.path, model.uri or data.prediction "
            "(a predictions column)",
        ),
        (
            MANIFEST.replace("sensitive_features: [sex, group]", "sensitive_features: [sex, sex]"),
            "manifest.yaml:15:23: data.sensitive_features: lists 'sex' more than once",
        ),
        (
            MANIFEST.replace("  target: label", "  target: [label"),
            "manifest.yaml:12:17: invalid YAML: expected ',' or ']', but got ':'",
        ),
        (
            MANIFEST.replace("  version: 0.1.0\n", "  version: 0.1.0\n  version: 0.2.0\n"),
            "manifest.yaml:6:3: invalid YAML: duplicate key",
        ),
        (
            MANIFEST.replace("  owner: team@example.org", "  owner: 2026-02-30"),
            "manifest.yaml:6:10: metadata.owner: not a valid date (2026-02-30: day is out of "
            "range for month)",
        ),
        (
            MANIFEST.replace("  version: 0.1.0", "  version: one"),
            "manifest.yaml:5:12: metadata.version: 'one' is not a semantic version "
            "(MAJOR.MINOR.PATCH, e.g. 1.2.0)",
        ),
        (
            MANIFEST.replace("  version: 0.1.0", "  version: 1.0"),
            "manifest.yaml:5:12: metadata.version: must be a semantic version string "
            'such as "1.0.0", found the number 1.0',
        ),
        (
            MANIFEST.replace('positive_label: "yes"', "positive_label: [1]"),
            "manifest.yaml:12:19: data.positive_label: Input should be a valid string, a valid "
            "integer, a valid number or a valid boolean, found a list",
        ),
        (
            MANIFEST + 'model: {path: m.joblib, format: joblib, trusted: "1"}\n',
            "manifest.yaml:16:50: model.trusted: Input should be a valid boolean, found the "
            "string '1'",
        ),
        (
            MANIFEST + "model: {path: m.joblib, format: joblib, trusted: 1}\n",
            "manifest.yaml:16:50: model.trusted: Input should be a valid boolean, found the "
            "number 1",
        ),
        (
            MANIFEST + 'model: {path: m.joblib, format: joblib, trusted: "true"}\n',
            "manifest.yaml:16:50: model.trusted: Input should be a valid boolean, found the "
            "string 'true'",
        ),
    ],
)
def test_bad_manifest_is_one_line_naming_file_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message == f"{tmp_path}/{expected}"
    assert caught.value.exit_code == 2


def test_missing_manifest_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"nope\.yaml: manifest not found"):
        load_manifest(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("line", "trusted"),
    [
        ("model: {path: m.joblib, format: joblib, trusted: true}", True),
        ("model: {path: m.joblib, format: joblib}", False),
    ],
)
def test_only_a_yaml_boolean_trusts_a_model(tmp_path: Path, line: str, trusted: bool) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(MANIFEST.lstrip("\n") + line + "\n", encoding="utf-8")
    manifest = load_manifest(path)
    assert manifest.spec.model is not None and manifest.spec.model.trusted is trusted


@pytest.mark.parametrize(("written", "read"), [("1", 1), ("1.5", 1.5), ("true", True)])
def test_positive_label_keeps_its_yaml_type(tmp_path: Path, written: str, read: object) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(
        MANIFEST.lstrip("\n").replace('positive_label: "yes"', f"positive_label: {written}"),
        encoding="utf-8",
    )
    label = load_manifest(path).spec.data.positive_label
    assert label == read and type(label) is type(read)
