"""Model files: an untrusted skops file constructs only allowed types, so it cannot run code.

Each attack below is a skops file an earlier version loaded with ``trusted: false`` because the
type names it holds started with ``builtins.``, ``numpy.``, ``scipy.``, ``sklearn.`` or
``collections.``. The files are real skops files (written by ``skops.io.dumps``) with one node of
their ``schema.json`` replaced, as an attacker would. If a gadget ran, it would create ``marker``.

Tree models (decision trees, forests, gradient boosting) load untrusted because their trees are
checked after skops builds them and before anything follows an index in them: the hostile trees
below are real files with one array or value of a tree edited, each checked by ``governance
check`` in a subprocess, so that a crash would fail the test instead of killing pytest.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from governance.errors import ModelError
from governance.model_artifact import load_skops
from governance.model_types import ALLOWED_TYPES, AUDITED_TYPES, VALIDATED_TYPES
from governance.model_validation import MAX_TREE_DEPTH, Refused, check_model
from tests.conftest import DEVELOPER_ENV, MANIFEST, POLICY, REPO, CliRun, synthetic_frame

PLACEHOLDER = "__gadget_placeholder__"
FEATURES = ["age"]


def store_entries(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if "audit_log" not in tables:
            return 0
        count: int = conn.execute("select count(*) from audit_log").fetchone()[0]
        return count


# --- building skops files ---------------------------------------------------------------------


def json_node(value: Any) -> dict[str, Any]:
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
    }


def tuple_node(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": list(items),
    }


def named(dotted: str, loader: str = "TypeNode") -> dict[str, Any]:
    """A node that imports ``module.name`` (a type or function reference)."""
    module, _, name = dotted.rpartition(".")
    return {"__class__": name, "__module__": module, "__loader__": loader}


def called_on_load(callable_node: dict[str, Any], argument: str) -> dict[str, Any]:
    """A dict whose key type is ``callable_node``: skops calls it with the key while loading."""
    return {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": {argument: json_node(0)},
        "key_types": {
            "__class__": "list",
            "__module__": "builtins",
            "__loader__": "ListNode",
            "content": [callable_node],
        },
    }


def rewrite_schema(data: bytes, edit: Callable[[dict[str, Any]], dict[str, Any]]) -> bytes:
    """The skops file ``data`` with its schema.json passed through ``edit``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "schema.json":
                content = json.dumps(edit(json.loads(content))).encode()
            target.writestr(info, content)
    return buffer.getvalue()


def replace_placeholders(node: Any, nodes: dict[str, dict[str, Any]]) -> Any:
    """``node`` with every JSON string node holding a key of ``nodes`` replaced by its value."""
    if isinstance(node, list):
        return [replace_placeholders(item, nodes) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("__loader__") == "JsonNode":
        value = json.loads(node["content"])
        if isinstance(value, str) and value in nodes:
            return nodes[value]
    return {key: replace_placeholders(value, nodes) for key, value in node.items()}


def fitted_model(frame: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression().fit(frame[FEATURES], frame["label"])


def with_gadget(model: Any, gadget: dict[str, Any]) -> bytes:
    """``model`` saved with skops, with one extra attribute that is the node ``gadget``."""
    model.gadget_ = PLACEHOLDER
    data = sio.dumps(model)
    return rewrite_schema(data, lambda schema: replace_placeholders(schema, {PLACEHOLDER: gadget}))


def python_creating(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


class _Payload:
    """Pickled, creates the marker when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (python_creating(self.marker),))


# --- running governance check -----------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with data.csv, manifest.yaml (model.skops, untrusted) and policy.yaml."""
    synthetic_frame(rows=400).to_csv(tmp_path / "data.csv", index=False)
    manifest = MANIFEST.replace("  prediction: prediction\n  score: score\n", "").replace(
        "\ndata:\n", "\nmodel:\n  path: model.skops\n  trusted: false\ndata:\n"
    )
    (tmp_path / "manifest.yaml").write_text(manifest, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return tmp_path


def check(run_cli: CliRun, project: Path, *extra: str) -> tuple[int, list[str], int]:
    """Exit code, stderr lines and audit entries of ``governance check`` on ``project``."""
    db = project / "audit.db"
    result = run_cli(
        "check",
        project / "manifest.yaml",
        "-p",
        project / "policy.yaml",
        "--store",
        f"sqlite:///{db}",
        *extra,
    )
    return result.exit_code, result.stderr.strip().splitlines(), store_entries(db)


def assert_refused(run_cli: CliRun, project: Path, *names: str) -> str:
    """``governance check`` exits 2 with one line naming the model file and ``names``."""
    code, lines, entries = check(run_cli, project)
    assert code == 2, lines
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"Error: {project / 'model.skops'}: "), line
    for name in names:
        assert name in line, (name, line)
    assert "model.trusted: true" in line and "--trust-model" in line, line
    assert entries == 0  # nothing written to the audit store
    return line


# --- the attacks ------------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["builtins.exec", "builtins.eval"])
def test_a_builtin_that_runs_a_string_is_refused(
    run_cli: CliRun, project: Path, function: str
) -> None:
    marker = project / "marker"
    gadget = called_on_load(named(function), python_creating(marker))
    (project / "model.skops").write_bytes(with_gadget(fitted_model(synthetic_frame()), gadget))
    assert_refused(run_cli, project, function)
    assert not marker.exists()


def test_numpy_load_of_a_pickle_is_refused(run_cli: CliRun, project: Path) -> None:
    marker = project / "marker"
    payload = project / "payload.npy"
    payload.write_bytes(pickle.dumps(_Payload(marker)))
    # numpy.load(payload, None, True): allow_pickle=True, so the pickle would run
    gadget = {
        **named("numpy.load", "ConstructorFromReduceNode"),
        "content": tuple_node(json_node(str(payload)), json_node(None), json_node(True)),
    }
    (project / "model.skops").write_bytes(with_gadget(fitted_model(synthetic_frame()), gadget))
    assert_refused(run_cli, project, "numpy.load")
    assert not marker.exists()


def test_a_helper_in_the_sklearn_namespace_that_runs_python_is_refused(
    run_cli: CliRun, project: Path
) -> None:
    marker = project / "marker"
    helper = "sklearn.utils._testing.assert_run_python_script_without_output"
    gadget = called_on_load(named(helper, "FunctionNode"), python_creating(marker))
    (project / "model.skops").write_bytes(with_gadget(fitted_model(synthetic_frame()), gadget))
    assert_refused(run_cli, project, helper)
    assert not marker.exists()


def test_a_numpy_method_that_writes_a_file_is_refused(run_cli: CliRun, project: Path) -> None:
    marker = project / "marker"
    model = fitted_model(synthetic_frame())
    model.gadget_ = PLACEHOLDER
    data = sio.dumps(model)

    def edit(schema: dict[str, Any]) -> dict[str, Any]:
        coef = dict(schema["content"]["content"]["coef_"])  # an array stored in the file
        coef.pop("__id__", None)
        tofile = {
            **named("numpy.ndarray", "MethodNode"),
            "content": {"func": "tofile", "obj": coef},
        }
        gadget = called_on_load(tofile, str(marker))  # array.tofile(marker)
        result: dict[str, Any] = replace_placeholders(schema, {PLACEHOLDER: gadget})
        return result

    (project / "model.skops").write_bytes(rewrite_schema(data, edit))
    assert_refused(run_cli, project, "numpy.ndarray.tofile")
    assert not marker.exists()


def test_estimator_callables_that_chain_to_exec_at_predict_time_are_refused(
    run_cli: CliRun, project: Path
) -> None:
    # FunctionTransformer calls its func with the data: the first returns the attacker's string
    # whatever the data (str.format bound to it), the second runs it (exec).
    marker = project / "marker"
    frame = synthetic_frame()
    steps = [("a", FunctionTransformer()), ("b", FunctionTransformer())]
    model = Pipeline([*steps, ("c", LogisticRegression())]).fit(frame[FEATURES], frame["label"])
    model.steps[0][1].func = "__a__"
    model.steps[1][1].func = "__b__"
    bound_format = {
        **named("builtins.str", "MethodNode"),
        "content": {"func": "format", "obj": json_node(python_creating(marker))},
    }
    gadgets = {"__a__": bound_format, "__b__": named("builtins.exec", "FunctionNode")}
    data = rewrite_schema(sio.dumps(model), lambda s: replace_placeholders(s, gadgets))
    (project / "model.skops").write_bytes(data)
    assert_refused(run_cli, project, "builtins.exec", "builtins.str.format")
    assert not marker.exists()


def test_a_function_transformer_calling_os_system_is_refused(
    run_cli: CliRun, project: Path
) -> None:
    import os

    frame = synthetic_frame()
    steps = [("f", FunctionTransformer()), ("c", LogisticRegression())]
    model = Pipeline(steps).fit(frame[FEATURES], frame["label"])
    model.steps[0][1].func = os.system  # saved by skops as a reference to posix.system
    (project / "model.skops").write_bytes(sio.dumps(model))
    assert_refused(run_cli, project, f"{os.system.__module__}.system")


@pytest.mark.parametrize("name", ["numpy.NotAType", "sklearn_evil.Model", "scipy.evil.Gadget"])
def test_a_name_that_only_looks_like_an_allowed_one_is_refused_before_import(
    run_cli: CliRun, project: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # an importable sklearn_evil module that would create the marker when imported
    marker = project / "marker"
    modules = project / "modules"
    modules.mkdir()
    (modules / "sklearn_evil.py").write_text(
        python_creating(marker) + "\nclass Model:\n    pass\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(modules))
    empty = called_on_load(named("builtins.str"), "x")
    empty["content"], empty["key_types"]["content"] = {}, []
    gadget = {**named(name, "ObjectNode"), "content": empty}
    (project / "model.skops").write_bytes(with_gadget(fitted_model(synthetic_frame()), gadget))
    line = assert_refused(run_cli, project, name)
    assert "has no attribute" not in line and "No module" not in line  # refused, not imported
    assert not marker.exists()


GADGETS = [
    ("builtins.exec", "TypeNode"),
    ("builtins.eval", "FunctionNode"),
    ("builtins.open", "TypeNode"),
    ("builtins.__import__", "TypeNode"),
    ("builtins.getattr", "FunctionNode"),
    ("builtins.compile", "TypeNode"),
    ("builtins.type", "TypeNode"),
    ("builtins.object", "ObjectNode"),
    ("posix.system", "FunctionNode"),
    ("subprocess.Popen", "TypeNode"),
    ("subprocess.check_output", "FunctionNode"),
    ("numpy.load", "FunctionNode"),
    ("numpy.fromfile", "FunctionNode"),
    ("numpy.loadtxt", "FunctionNode"),
    ("numpy.lib.format.read_array", "FunctionNode"),
    ("numpy.ctypeslib.load_library", "FunctionNode"),
    ("numpy.testing.rundocs", "FunctionNode"),
    ("scipy.io.loadmat", "FunctionNode"),
    ("scipy.sparse.load_npz", "FunctionNode"),
    ("pickle.loads", "FunctionNode"),
    ("joblib.numpy_pickle.load", "FunctionNode"),
    ("collections.namedtuple", "FunctionNode"),
    ("sklearn.utils._testing.assert_run_python_script_without_output", "FunctionNode"),
    ("sklearn.utils.deprecation.deprecated", "TypeNode"),
    ("sklearn.utils.parallel.delayed", "FunctionNode"),
    # built any other way than scikit-learn saves them, trees would escape the checks
    ("sklearn.tree._tree.Tree", "ObjectNode"),
    ("sklearn.tree._tree.Tree", "TypeNode"),
    ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", "TypeNode"),
]


@pytest.mark.parametrize(("name", "loader"), GADGETS, ids=[name for name, _ in GADGETS])
def test_gadget_references_are_refused_whatever_the_node(
    run_cli: CliRun, project: Path, name: str, loader: str
) -> None:
    gadget = called_on_load(named(name, loader), "x")
    (project / "model.skops").write_bytes(with_gadget(fitted_model(synthetic_frame()), gadget))
    assert_refused(run_cli, project, name)


@pytest.mark.parametrize("gadget", ["functools.partial", "operator.attrgetter"])
def test_partial_and_operator_nodes_are_refused(
    run_cli: CliRun, project: Path, gadget: str
) -> None:
    import functools
    import operator

    model = fitted_model(synthetic_frame())
    model.gadget_ = (
        functools.partial(np.add, 1)
        if gadget == "functools.partial"
        else operator.attrgetter("shape")
    )
    (project / "model.skops").write_bytes(sio.dumps(model))
    assert_refused(run_cli, project, gadget)


def test_the_message_lists_the_first_refused_types_and_counts_them(
    run_cli: CliRun, project: Path
) -> None:
    names = [f"builtins.gadget{i}" for i in range(9)]
    model = fitted_model(synthetic_frame())
    gadgets = {f"__{i}__": named(name) for i, name in enumerate(names)}
    model.gadget_ = list(gadgets)
    data = rewrite_schema(sio.dumps(model), lambda s: replace_placeholders(s, gadgets))
    (project / "model.skops").write_bytes(data)
    line = assert_refused(run_cli, project, *sorted(names)[:5])
    assert "9 types" in line and sorted(names)[-1] not in line, line


# --- what still loads -------------------------------------------------------------------------


def test_a_preprocessing_pipeline_loads_untrusted(run_cli: CliRun, project: Path) -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = synthetic_frame()
    columns = ["age", "group"]
    features = ColumnTransformer(
        [
            ("number", Pipeline([("fill", SimpleImputer()), ("scale", StandardScaler())]), ["age"]),
            ("text", OneHotEncoder(handle_unknown="ignore"), ["group"]),
        ]
    )
    model = Pipeline([("features", features), ("c", LogisticRegression())])
    model.fit(frame[columns], frame["label"])
    assert sio.get_untrusted_types(data=sio.dumps(model)) == ["numpy.dtype"]
    (project / "model.skops").write_bytes(sio.dumps(model))
    code, lines, entries = check(run_cli, project)
    assert code in (0, 1), lines
    assert entries > 0


def test_the_loader_refuses_before_skops_constructs_anything(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "model.skops"
    gadget = called_on_load(named("builtins.exec"), python_creating(marker))
    path.write_bytes(with_gadget(fitted_model(synthetic_frame()), gadget))
    with pytest.raises(ModelError) as caught:
        load_skops(path, trusted=False)
    assert "builtins.exec" in str(caught.value)
    assert not marker.exists()


# --- tree models: every tree is checked, then they load untrusted -------------------------------

TREE_FEATURES = ["age", "score", "group"]
TREE_POLICY = """
apiVersion: governance/v1
kind: Policy
metadata:
  name: tree-models
  version: 1.0.0
rules:
  - id: explainable
    title: The model is explained with SHAP
    severity: high
    check: explainability.available
    threshold: {min: 1}
  - id: additive
    title: The explanation is additive, in the data's own columns
    severity: high
    check: explainability.available
    assert: >-
      evidence.explanation.additivity.passed &&
      evidence.explanation.feature_space == "original" && measured == 1.0
"""


def tree_pipeline(final: Any) -> Pipeline:
    """``final`` after a ColumnTransformer that scales the numbers and one-hot encodes group."""
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = ColumnTransformer(
        [
            ("number", StandardScaler(), ["age", "score"]),
            ("text", OneHotEncoder(handle_unknown="ignore"), ["group"]),
        ]
    )
    return Pipeline([("features", features), ("model", final)])


def check_in_subprocess(project: Path, *extra: str) -> tuple[int, list[str], int]:
    """Exit code, stderr lines and audit entries of ``governance check`` run as its own process.

    A segmentation fault kills that process with a signal: the test fails, pytest goes on.
    """
    db = project / "audit.db"
    env = {key: value for key, value in os.environ.items() if key not in DEVELOPER_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "governance", "check", str(project / "manifest.yaml")]
    command += ["-p", str(project / "policy.yaml"), "--store", f"sqlite:///{db}", *extra]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=900, check=False
    )
    assert result.returncode >= 0, (
        f"governance check was killed by signal {-result.returncode}: {result.stderr[-2000:]}"
    )
    return result.returncode, result.stderr.strip().splitlines(), store_entries(db)


def _pipeline_finals() -> dict[str, Callable[[], Any]]:
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.tree import DecisionTreeClassifier

    return {
        "random-forest": lambda: RandomForestClassifier(
            n_estimators=10, max_depth=5, random_state=0
        ),
        "extra-trees": lambda: ExtraTreesClassifier(n_estimators=10, max_depth=5, random_state=0),
        "gradient-boosting": lambda: GradientBoostingClassifier(n_estimators=10, random_state=0),
        "decision-tree": lambda: DecisionTreeClassifier(max_depth=5, random_state=0),
        "hist-gradient-boosting": lambda: HistGradientBoostingClassifier(
            max_iter=10, random_state=0
        ),
    }


@pytest.mark.parametrize("name", list(_pipeline_finals()))
def test_tree_models_in_a_pipeline_load_untrusted_and_shap_explains_their_trees(
    project: Path, name: str
) -> None:
    frame = synthetic_frame(rows=400)
    model = tree_pipeline(_pipeline_finals()[name]())
    data = sio.dumps(model.fit(frame[TREE_FEATURES], frame["label"]))
    untrusted = set(sio.get_untrusted_types(data=data)) - {"numpy.dtype"}
    assert untrusted and untrusted <= set(VALIDATED_TYPES), untrusted
    (project / "model.skops").write_bytes(data)
    (project / "policy.yaml").write_text(TREE_POLICY, encoding="utf-8")
    result = project / "result.json"
    code, lines, entries = check_in_subprocess(project, "--format", f"json={result}")
    assert code == 0, lines
    assert entries > 0
    findings = json.loads(result.read_text(encoding="utf-8"))["findings"]
    assert [finding["outcome"] for finding in findings] == ["pass", "pass"]
    # shap's compiled tree explainer walked the checked trees
    assert findings[0]["evidence"]["explanation"]["shap_explainer"] == "shap.TreeExplainer"


def _checked_tree_models() -> dict[str, Callable[[], Any]]:
    """Models holding every kind of checked tree, and the ensembles around them."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import (
        AdaBoostClassifier,
        BaggingClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        HistGradientBoostingRegressor,
        IsolationForest,
        RandomForestClassifier,
        RandomTreesEmbedding,
        StackingClassifier,
    )
    from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

    return {
        "pruned-tree": lambda: DecisionTreeClassifier(ccp_alpha=0.01),
        "extra-tree": lambda: ExtraTreeClassifier(),
        "extra-trees-regressor": lambda: ExtraTreesRegressor(n_estimators=3),
        "gradient-boosting-zero-init": lambda: GradientBoostingClassifier(
            n_estimators=3, init="zero"
        ),
        "gradient-boosting-exponential": lambda: GradientBoostingClassifier(
            n_estimators=3, loss="exponential"
        ),
        "gradient-boosting-regressor": lambda: GradientBoostingRegressor(n_estimators=3),
        "gradient-boosting-quantile": lambda: GradientBoostingRegressor(
            n_estimators=3, loss="quantile"
        ),
        "hist-gradient-boosting-regressor": lambda: HistGradientBoostingRegressor(max_iter=3),
        "isolation-forest": lambda: IsolationForest(n_estimators=3, max_features=1),
        "bagging": lambda: BaggingClassifier(
            DecisionTreeClassifier(), n_estimators=3, max_features=1
        ),
        "adaboost": lambda: AdaBoostClassifier(n_estimators=3),
        "calibrated-forest": lambda: CalibratedClassifierCV(RandomForestClassifier(n_estimators=3)),
        "stacking": lambda: StackingClassifier(
            [("a", DecisionTreeClassifier()), ("b", RandomForestClassifier(n_estimators=2))]
        ),
        "random-trees-embedding": lambda: Pipeline(
            [("e", RandomTreesEmbedding(n_estimators=3)), ("c", LogisticRegression())]
        ),
    }


@pytest.mark.parametrize("name", [*_checked_tree_models(), "multiclass", "multi-output"])
def test_tree_models_load_untrusted_and_predict_the_same(tmp_path: Path, name: str) -> None:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.tree import DecisionTreeClassifier

    frame = synthetic_frame(rows=300)
    X, y = frame[["age", "score"]], (frame["label"] == "yes").astype(int)
    if name == "multiclass":
        model, y = GradientBoostingClassifier(n_estimators=3), frame["group"]
    elif name == "multi-output":
        model, y = DecisionTreeClassifier(max_depth=4), frame[["label", "group"]]
    else:
        model = _checked_tree_models()[name]()
    model = model.fit(X) if name == "isolation-forest" else model.fit(X, y)
    data = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=data)) <= ALLOWED_TYPES
    path = tmp_path / "model.skops"
    path.write_bytes(data)
    assert (load_skops(path, trusted=False).predict(X) == model.predict(X)).all()


# hostile trees: a real file (a random forest after a ColumnTransformer) with its first tree edited

FIRST_TREE = "model.steps[1][1].estimators_[0]"


def tree_states(node: Any) -> Iterator[dict[str, Any]]:
    """The schema nodes of trees and histogram gradient boosting trees, in file order."""
    if isinstance(node, list):
        for item in node:
            yield from tree_states(item)
    elif isinstance(node, dict):
        if node.get("__loader__") == "TreeNode" or node.get("__class__") == "TreePredictor":
            yield node
        for value in node.values():
            yield from tree_states(value)


def edit_first_tree(
    data: bytes,
    *,
    nodes: Callable[[Any], Any] | None = None,
    values: Callable[[Any], Any] | None = None,
    n_features: int | None = None,
    **state: int,
) -> bytes:
    """``data`` with the first tree's arrays passed through ``nodes``/``values``, and ``state``
    (node_count, max_depth) and its ``n_features`` set."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(archive.read("schema.json"))
    tree = next(tree_states(schema))
    attributes = tree["content"]["content"]
    replaced: dict[str, bytes] = {}
    for name, edit in (("nodes", nodes), ("values", values)):
        if edit is not None:
            file = attributes[name]["file"]
            array = edit(np.load(io.BytesIO(archive.read(file)), allow_pickle=False).copy())
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            replaced[file] = buffer.getvalue()
    for name, value in state.items():
        attributes[name] = json_node(value)  # without an __id__: shared with no equal value
    if n_features is not None:
        tree["__reduce__"]["args"]["content"][0] = json_node(n_features)
    replaced["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in archive.infolist():
            target.writestr(info, replaced.get(info.filename, archive.read(info)))
    return buffer.getvalue()


def forest_file() -> tuple[bytes, Any]:
    """A random forest after a ColumnTransformer, saved; and its first tree."""
    from sklearn.ensemble import RandomForestClassifier

    frame = synthetic_frame(rows=400)
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)
    model = tree_pipeline(forest).fit(frame[TREE_FEATURES], frame["label"])
    return sio.dumps(model), forest.estimators_[0].tree_


def setting(field: str, node: int, value: Any) -> Callable[[Any], Any]:
    def edit(nodes: Any) -> Any:
        nodes[field][node] = value
        return nodes

    return edit


def _hostile_trees(tree: Any) -> dict[str, tuple[dict[str, Any], str]]:
    """id -> (edit_first_tree arguments, the problem governance must name)."""
    count, width = tree.node_count, tree.n_features
    left, right = tree.children_left, tree.children_right
    inner = [int(node) for node in np.flatnonzero(left != -1)]
    leaf, second, other = int(np.flatnonzero(left == -1)[0]), inner[1], int(right[0])
    invalid = f"invalid tree at {FIRST_TREE}.tree_: "
    return {
        "left-child-backwards": (
            {"nodes": setting("left_child", second, second - 1)},
            invalid + f"node {second}'s left child {second - 1} is not after it",
        ),
        "left-child-itself": (
            {"nodes": setting("left_child", 0, 0)},
            invalid + "node 0's left child 0 is not after it",
        ),
        "right-child-beyond-the-nodes": (
            {"nodes": setting("right_child", 0, count + 1000)},
            invalid + f"node 0's right child {count + 1000} is beyond its {count} nodes",
        ),
        "feature-out-of-range": (
            {"nodes": setting("feature", 0, width)},
            invalid + f"node 0 splits on feature {width}, outside its {width} features",
        ),
        "negative-feature": (
            {"nodes": setting("feature", 0, -7)},
            invalid + f"node 0 splits on feature -7, outside its {width} features",
        ),
        "only-a-right-child": (
            {"nodes": setting("right_child", leaf, count - 1)},
            invalid + f"node {leaf} has a right child {count - 1} but no left child",
        ),
        "a-node-with-two-parents": (
            {"nodes": setting("left_child", 0, other)},
            invalid + f"node {other} is the child of 2 nodes",
        ),
        "a-leaf-that-splits": (
            {"nodes": setting("feature", leaf, 0)},
            invalid + f"node {leaf} is a leaf but splits on feature 0",
        ),
        "nan-threshold": (
            {"nodes": setting("threshold", 0, np.nan)},
            invalid + "node 0's threshold is NaN",
        ),
        "node-count-below-the-arrays": (
            {"node_count": count - 2},
            invalid + f"node_count is {count - 2} but its arrays hold {count} nodes",
        ),
        "max-depth-below-the-deepest-leaf": (
            {"max_depth": 1},
            invalid + f"max_depth is 1 but its deepest leaf is at {tree.max_depth}",
        ),
        "tree-wider-than-its-estimator": (
            {"n_features": 50},
            f"invalid tree model at {FIRST_TREE}: n_features_in_ is {width} but its tree has "
            "50 features",
        ),
        "value-array-of-another-shape": (
            {"values": lambda values: np.zeros((count, 1, 3))},
            f"cannot load skops model: Wrong shape for value array from the pickle: expected "
            f"({count}, 1, 2), got ({count}, 1, 3)",
        ),
    }


HOSTILE_TREES = list(_hostile_trees(forest_file()[1]))


@pytest.mark.parametrize("case", HOSTILE_TREES)
def test_a_hostile_tree_is_refused_in_one_line_without_a_crash(project: Path, case: str) -> None:
    data, tree = forest_file()
    edits, problem = _hostile_trees(tree)[case]
    (project / "model.skops").write_bytes(edit_first_tree(data, **edits))
    code, lines, entries = check_in_subprocess(project)
    assert code == 2, lines
    assert lines == [f"Error: {project / 'model.skops'}: {problem}"]
    assert entries == 0  # nothing written to the audit store


def test_a_node_count_beyond_the_arrays_is_cut_to_them_as_the_tree_is_built(
    project: Path,
) -> None:
    # scikit-learn's Tree.__setstate__ keeps node_count within the node array: the tree built
    # is the one the arrays hold, and it is checked like any other
    data, _ = forest_file()
    (project / "model.skops").write_bytes(edit_first_tree(data, node_count=10**9))
    code, lines, entries = check_in_subprocess(project)
    assert code in (0, 1), lines
    assert entries > 0


def test_gradient_boosting_cannot_write_past_its_initial_prediction(project: Path) -> None:
    # predict_stages writes tree k of each stage into column k of the initial prediction,
    # whose width ("zero": n_trees_per_iteration_) comes from the file
    from sklearn.ensemble import GradientBoostingClassifier

    frame = synthetic_frame(rows=400)
    model = GradientBoostingClassifier(n_estimators=3, init="zero")
    data = sio.dumps(model.fit(frame[["age", "score"]], frame["label"]))

    def no_columns(schema: dict[str, Any]) -> dict[str, Any]:
        schema["content"]["content"]["n_trees_per_iteration_"] = json_node(0)
        return schema

    (project / "model.skops").write_bytes(rewrite_schema(data, no_columns))
    code, lines, entries = check_in_subprocess(project)
    assert code == 2, lines
    assert lines == [
        f"Error: {project / 'model.skops'}: invalid tree model at model: each stage has 1 tree "
        "but the initial prediction has 0 columns"
    ]
    assert entries == 0


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("right", 10_000, "node 0's right child 10000 is beyond its {count} nodes"),
        ("feature_idx", 2, "node 0 splits on feature 2, outside the model's 2 features"),
        ("is_categorical", 1, "node 0 is a categorical split, but the model has no categories"),
    ],
)
def test_a_hostile_histogram_gradient_boosting_tree_is_refused(
    project: Path, field: str, value: int, problem: str
) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame = synthetic_frame(rows=400)
    model = HistGradientBoostingClassifier(max_iter=3, random_state=0)
    model.fit(frame[["age", "score"]], frame["label"])
    count = len(model._predictors[0][0].nodes)
    data = edit_first_tree(sio.dumps(model), nodes=setting(field, 0, value))
    (project / "model.skops").write_bytes(data)
    code, lines, entries = check_in_subprocess(project)
    assert code == 2, lines
    assert lines == [
        f"Error: {project / 'model.skops'}: invalid tree at model._predictors[0][0]: "
        + problem.format(count=count)
    ]
    assert entries == 0


SHARED_NODES_SCRIPT = """
import numpy as np
from pathlib import Path
from governance.model_artifact import load_skops
from tests.conftest import synthetic_frame

model = load_skops(Path({path!r}), trusted=False)
# what a FunctionTransformer of the same file could do while predicting: numpy.positive with
# out= the shared array and casting="unsafe" writes 256 into every field of every node
np.positive(np.float64(256.0), out=model.shared_, casting="unsafe")
print(",".join(model.predict(synthetic_frame(rows=300)[["age", "score"]])))
"""


def test_a_histogram_boosting_tree_shared_with_another_object_cannot_be_rewritten(
    tmp_path: Path,
) -> None:
    # a TreePredictor keeps the loaded node array; skops builds an __id__ once, so another
    # attribute of the file can hold the same array and write into it after the check
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame = synthetic_frame(rows=300)
    X = frame[["age", "score"]]
    model = HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, frame["label"])
    model.shared_ = model._predictors[0][0].nodes
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(model))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-c", SHARED_NODES_SCRIPT.format(path=str(path))],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]  # a signal would be negative
    assert result.stdout.strip().split(",") == list(model.predict(X))


def test_a_gradient_boosting_array_of_trees_shared_with_another_object_cannot_be_rewritten(
    tmp_path: Path,
) -> None:
    # predict_stages reads estimators_ without checking: another attribute of the file holding
    # the same array could put other objects in it after the check
    from sklearn.ensemble import GradientBoostingClassifier

    frame = synthetic_frame(rows=300)
    X = frame[["age", "score"]]
    model = GradientBoostingClassifier(n_estimators=3).fit(X, frame["label"])
    model.shared_ = model.estimators_
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(model))
    loaded = load_skops(path, trusted=False)
    np.positive(np.float64(1.0), out=loaded.shared_, casting="unsafe")
    assert (loaded.predict(X) == model.predict(X)).all()


def test_a_tree_deeper_than_the_limit_needs_trust(tmp_path: Path) -> None:
    data, _ = forest_file()
    levels = MAX_TREE_DEPTH + 1
    count = 2 * levels + 1  # a chain: node 2k splits into the leaf 2k+1 and the node 2k+2

    def chain(nodes: Any) -> Any:
        chained = np.zeros(count, dtype=nodes.dtype)
        index = np.arange(count)
        inner = (index % 2 == 0) & (index < count - 1)
        chained["left_child"] = np.where(inner, index + 1, -1)
        chained["right_child"] = np.where(inner, index + 2, -1)
        chained["feature"] = np.where(inner, 0, -2)
        chained["threshold"] = np.where(inner, 0.5, -2.0)
        chained["n_node_samples"] = chained["weighted_n_node_samples"] = 1
        return chained

    path = tmp_path / "model.skops"
    edited = edit_first_tree(
        data,
        nodes=chain,
        values=lambda values: np.full((count, 1, 2), 0.5),
        node_count=count,
        max_depth=levels,
    )
    path.write_bytes(edited)
    with pytest.raises(ModelError) as caught:
        load_skops(path, trusted=False)
    assert caught.value.message == (
        f"the tree at {FIRST_TREE}.tree_ is deeper than {MAX_TREE_DEPTH} levels, the most an "
        "untrusted model may have"
    )
    assert caught.value.hint is not None and "--trust-model" in caught.value.hint


def test_a_tree_outside_a_decision_tree_is_refused(run_cli: CliRun, project: Path) -> None:
    # a Tree has predict and apply of its own: as a Pipeline step it would be called directly
    from sklearn.tree import DecisionTreeClassifier

    frame = synthetic_frame()
    model = fitted_model(frame)
    model.gadget_ = DecisionTreeClassifier().fit(frame[FEATURES], frame["label"]).tree_
    (project / "model.skops").write_bytes(sio.dumps(model))
    code, lines, entries = check(run_cli, project)
    assert code == 2, lines
    assert lines == [
        f"Error: {project / 'model.skops'}: a tree structure (sklearn.tree._tree.Tree) at "
        "model.gadget_, which is not the tree_ of a decision tree estimator"
    ]
    assert entries == 0


def test_an_attribute_hiding_a_method_is_refused(run_cli: CliRun, project: Path) -> None:
    # np.add(X, True) in place of _validate_X_predict would skip the check of the data's width
    from sklearn.tree import DecisionTreeClassifier

    frame = synthetic_frame()
    model = DecisionTreeClassifier(max_depth=3).fit(frame[FEATURES], frame["label"])
    model._validate_X_predict = np.add
    (project / "model.skops").write_bytes(sio.dumps(model))
    code, lines, entries = check(run_cli, project)
    assert code == 2, lines
    assert lines == [
        f"Error: {project / 'model.skops'}: model sets _validate_X_predict, which would hide "
        "BaseDecisionTree._validate_X_predict"
    ]
    assert entries == 0


def test_gradient_boosting_from_another_initial_estimator_needs_trust(tmp_path: Path) -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    frame = synthetic_frame(rows=300)
    X = frame[["age", "score"]]
    model = GradientBoostingClassifier(n_estimators=3, init=LogisticRegression())
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(model.fit(X, frame["label"])))
    with pytest.raises(ModelError) as caught:
        load_skops(path, trusted=False)
    assert "init_ is a LogisticRegression" in caught.value.message
    assert caught.value.hint is not None and "--trust-model" in caught.value.hint
    assert (load_skops(path, trusted=True).predict(X) == model.predict(X)).all()


def test_a_million_node_tree_is_checked_in_well_under_a_second() -> None:
    from sklearn.tree import DecisionTreeRegressor
    from sklearn.tree._tree import NODE_DTYPE, Tree

    levels = 19  # 2**20 - 1 nodes, every leaf at depth 19
    count = 2 ** (levels + 1) - 1
    index = np.arange(count)
    inner = index < 2**levels - 1
    nodes = np.zeros(count, dtype=NODE_DTYPE)
    nodes["left_child"] = np.where(inner, 2 * index + 1, -1)
    nodes["right_child"] = np.where(inner, 2 * index + 2, -1)
    nodes["feature"] = np.where(inner, index % 4, -2)
    nodes["threshold"] = np.where(inner, 0.0, -2.0)
    tree = Tree(4, np.array([1], dtype=np.intp), 1)
    state = {"max_depth": levels, "node_count": count, "nodes": nodes}
    tree.__setstate__({**state, "values": np.zeros((count, 1, 1))})
    model = DecisionTreeRegressor()
    model.tree_, model.n_features_in_, model.n_outputs_ = tree, 4, 1
    started = time.perf_counter()
    check_model(model)
    assert time.perf_counter() - started < 1.0
    model.tree_.__setstate__({**state, "max_depth": levels - 1, "values": np.zeros((count, 1, 1))})
    with pytest.raises(Refused, match="deepest leaf is at 19"):
        check_model(model)


# --- what the audited list lets through, and what it rests on ----------------------------------

SAMPLE_MODELS = sorted((REPO / "samples").glob("*/models/*.skops"))


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=[p.name for p in SAMPLE_MODELS])
def test_the_sample_models_load_untrusted(path: Path) -> None:
    model = load_skops(path, trusted=False)
    assert hasattr(model, "predict_proba")


def _models() -> dict[str, Callable[[], Any]]:
    """Models whose skops files hold each family of audited types, built lazily."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.cluster import FeatureAgglomeration
    from sklearn.compose import make_column_selector
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.feature_selection import SelectKBest
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.impute import IterativeImputer, SimpleImputer
    from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    lr = LogisticRegression
    return {
        "column-selector": lambda: Pipeline(
            [
                (
                    "f",
                    ColumnTransformer(
                        [
                            ("n", SimpleImputer(), make_column_selector(dtype_include="number")),
                            ("t", OneHotEncoder(), make_column_selector(dtype_exclude="number")),
                        ]
                    ),
                ),
                ("c", lr()),
            ]
        ),
        "voting": lambda: VotingClassifier([("a", lr()), ("b", GaussianNB())], voting="soft"),
        "stacking": lambda: StackingClassifier([("a", lr()), ("b", GaussianNB())]),
        "calibrated": lambda: CalibratedClassifierCV(lr()),
        "calibrated-temperature": lambda: CalibratedClassifierCV(lr(), method="temperature"),
        "mlp": lambda: Pipeline([("s", StandardScaler()), ("c", MLPClassifier(max_iter=20))]),
        "iterative-imputer": lambda: Pipeline([("i", IterativeImputer()), ("c", lr())]),
        "gaussian-process": lambda: GaussianProcessClassifier(RBF() + WhiteKernel()),
        "grid-search": lambda: GridSearchCV(lr(), {"C": [0.1, 1.0]}, scoring="roc_auc"),
        "tuned-threshold": lambda: TunedThresholdClassifierCV(lr()),
        "select-k-best": lambda: Pipeline([("s", SelectKBest(k=2)), ("c", lr())]),
        "feature-agglomeration": lambda: Pipeline(
            [("s", StandardScaler()), ("a", FeatureAgglomeration(n_clusters=2)), ("c", lr())]
        ),
    }


MODELS = list(_models())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", MODELS)
def test_models_holding_audited_types_load_untrusted_and_predict_the_same(
    tmp_path: Path, name: str
) -> None:
    frame = synthetic_frame(rows=300)
    columns = ["age", "score"] if name != "column-selector" else ["age", "group"]
    X, y = frame[columns], frame["label"]
    if name == "iterative-imputer":
        X = X.copy()
        X.loc[X.index[::7], "age"] = np.nan
    model = _models()[name]().fit(X, y)
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted and set(untrusted) <= ALLOWED_TYPES, untrusted
    path = tmp_path / "model.skops"
    path.write_bytes(data)
    assert (load_skops(path, trusted=False).predict(X) == model.predict(X)).all()


def _unchecked_tree_models() -> list[tuple[str, str, Callable[[], Any]]]:
    """(id, the refused type, a model holding it): node indices that nothing checks."""
    from sklearn.neighbors import KNeighborsClassifier

    def xgboost() -> Any:
        return pytest.importorskip("xgboost").XGBClassifier(n_estimators=2)

    def lightgbm() -> Any:
        return pytest.importorskip("lightgbm").LGBMClassifier(n_estimators=2, verbose=-1)

    return [
        (
            "k-neighbours",
            "sklearn.neighbors._kd_tree.KDTree",
            lambda: KNeighborsClassifier(algorithm="kd_tree"),
        ),
        ("xgboost", "xgboost.core.Booster", xgboost),
        ("lightgbm", "lightgbm.basic.Booster", lightgbm),
    ]


UNCHECKED_TREE_MODELS = [(refused, factory) for _, refused, factory in _unchecked_tree_models()]


@pytest.mark.parametrize(
    ("refused", "factory"),
    UNCHECKED_TREE_MODELS,
    ids=[name for name, _, _ in _unchecked_tree_models()],
)
def test_models_with_node_indices_that_are_not_checked_need_trust(
    tmp_path: Path, refused: str, factory: Callable[[], Any]
) -> None:
    frame = synthetic_frame(rows=200)
    X, y = frame[["age", "score"]], (frame["label"] == "yes").astype(int)
    model = factory().fit(X, y)
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(model))
    with pytest.raises(ModelError) as caught:
        load_skops(path, trusted=False)
    assert refused in str(caught.value)
    assert (load_skops(path, trusted=True).predict(X) == model.predict(X)).all()


def test_every_audited_name_is_exactly_an_installed_class_or_function() -> None:
    import importlib

    for name in sorted(ALLOWED_TYPES):
        module, _, attribute = name.rpartition(".")
        found = getattr(importlib.import_module(module), attribute)
        assert isinstance(found, type) or callable(found), name
        assert f"{skops_module(found)}.{found.__name__}" == name, name


def skops_module(obj: Any) -> str:
    from skops.io._utils import get_module

    return str(get_module(obj))


# validated types are gadgets only in another role: their names are allowed, their node checked
GADGET_NAMES = {name for name, _ in GADGETS if name not in VALIDATED_TYPES} | {
    "functools.partial",
    "operator.attrgetter",
    "operator.methodcaller",
    "operator.itemgetter",
    "builtins.str.format",
    "numpy.ndarray.tofile",
}


def test_what_skops_trusts_by_default_holds_no_gadget() -> None:
    # the guarantee rests on skops' own per-node defaults as much as on the audited list
    import skops
    from sklearn.base import BaseEstimator
    from skops.io import _trusted_types as defaults

    major, minor = (int(part) for part in skops.__version__.split(".")[:2])
    assert (major, minor) >= (0, 16), skops.__version__
    functions = set(defaults.NUMPY_UFUNC_TYPE_NAMES) | set(defaults.SCIPY_UFUNC_TYPE_NAMES)
    types = set(
        defaults.PRIMITIVE_TYPE_NAMES
        + defaults.CONTAINER_TYPE_NAMES
        + defaults.NUMPY_DTYPE_TYPE_NAMES
        + defaults.NUMPY_RANDOM_BIT_GENERATOR_TYPE_NAMES
    )
    objects = set(defaults.SKLEARN_ESTIMATOR_TYPE_NAMES + defaults.SKLEARN_INTERNAL_TYPE_NAMES)
    assert not (functions | types | objects | ALLOWED_TYPES) & GADGET_NAMES
    for name in functions:  # numeric element-wise functions only
        assert name.startswith(("numpy.", "scipy.special.")), name
    assert types <= {
        "builtins.int",
        "builtins.float",
        "builtins.str",
        "builtins.bool",
        "builtins.list",
        "builtins.set",
        "builtins.map",
        "builtins.tuple",
    } | {n for n in types if n.startswith("numpy.")}
    # trees are never trusted by name alone: only built as scikit-learn saves them, then checked
    assert "sklearn.tree._tree.Tree" not in objects
    assert VALIDATED_TYPES == {
        "sklearn.tree._tree.Tree": "TreeNode",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": "ObjectNode",
    }
    import sklearn.utils

    estimators = {
        f"{skops_module(cls)}.{cls.__name__}" for _, cls in sklearn.utils.all_estimators()
    }
    assert set(defaults.SKLEARN_ESTIMATOR_TYPE_NAMES) <= estimators
    assert all(issubclass(cls, BaseEstimator) for _, cls in sklearn.utils.all_estimators())


def test_the_manifest_docs_list_exactly_the_audited_types() -> None:
    text = (REPO / "docs" / "manifest.md").read_text(encoding="utf-8")
    table = text.split("| why these are safe | exact names |", 1)[1].split("\n\n", 1)[0]
    rows = [row for row in table.splitlines() if row.startswith("| ") and "`" in row]
    documented = {
        reason.strip(): tuple(name.strip(" `") for name in names.split(","))
        for reason, names in (row.strip("| ").split(" | ") for row in rows)
    }
    assert documented == dict(AUDITED_TYPES)


def test_the_manifest_docs_list_exactly_the_validated_types() -> None:
    text = (REPO / "docs" / "manifest.md").read_text(encoding="utf-8")
    table = text.split("| validated type | built only by |", 1)[1].split("\n\n", 1)[0]
    rows = [row.strip("| ").split(" | ") for row in table.splitlines() if "`" in row]
    assert {name.strip("`"): node.strip("`") for name, node in rows} == dict(VALIDATED_TYPES)
