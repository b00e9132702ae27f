"""Model files: an untrusted skops file constructs only audited types, so it cannot run code.

Each attack below is a skops file an earlier version loaded with ``trusted: false`` because the
type names it holds started with ``builtins.``, ``numpy.``, ``scipy.``, ``sklearn.`` or
``collections.``. The files are real skops files (written by ``skops.io.dumps``) with one node of
their ``schema.json`` replaced, as an attacker would. If a gadget ran, it would create ``marker``.
"""

from __future__ import annotations

import io
import json
import pickle
import sqlite3
import zipfile
from collections.abc import Callable
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
from governance.model_types import ALLOWED_TYPES, AUDITED_TYPES
from tests.conftest import MANIFEST, POLICY, REPO, CliRun, synthetic_frame

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
    ("sklearn.tree._tree.Tree", "ObjectNode"),
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


def test_a_tree_model_needs_trust_and_then_loads(run_cli: CliRun, project: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier

    frame = synthetic_frame()
    model = RandomForestClassifier(n_estimators=3, random_state=0)
    (project / "model.skops").write_bytes(sio.dumps(model.fit(frame[FEATURES], frame["label"])))
    assert_refused(run_cli, project, "sklearn.tree._tree.Tree")
    code, lines, entries = check(run_cli, project, "--trust-model")
    assert code in (0, 1), lines
    assert entries > 0


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


def _tree_models() -> list[tuple[str, str, Callable[[], Any]]]:
    """(id, the refused type, a model holding it)."""
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    def xgboost() -> Any:
        return pytest.importorskip("xgboost").XGBClassifier(n_estimators=2)

    def lightgbm() -> Any:
        return pytest.importorskip("lightgbm").LGBMClassifier(n_estimators=2, verbose=-1)

    tree = "sklearn.tree._tree.Tree"
    return [
        ("decision-tree", tree, lambda: DecisionTreeClassifier(max_depth=2)),
        ("gradient-boosting", tree, lambda: GradientBoostingClassifier(n_estimators=2)),
        (
            "hist-gradient-boosting",
            "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
            lambda: HistGradientBoostingClassifier(max_iter=2),
        ),
        (
            "k-neighbours",
            "sklearn.neighbors._kd_tree.KDTree",
            lambda: KNeighborsClassifier(algorithm="kd_tree"),
        ),
        ("xgboost", "xgboost.core.Booster", xgboost),
        ("lightgbm", "lightgbm.basic.Booster", lightgbm),
    ]


TREE_MODELS = [(refused, factory) for _, refused, factory in _tree_models()]


@pytest.mark.parametrize(
    ("refused", "factory"), TREE_MODELS, ids=[name for name, _, _ in _tree_models()]
)
def test_models_with_node_indices_for_compiled_code_need_trust(
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


GADGET_NAMES = {name for name, _ in GADGETS} | {
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
    assert "sklearn.tree._tree.Tree" not in objects | ALLOWED_TYPES
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
