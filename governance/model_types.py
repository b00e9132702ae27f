"""The types an untrusted skops model file may hold: exact, audited names, never prefixes.

skops (0.16 or later) checks every node of a file against trusted types before it constructs
anything. On its own it trusts, per kind of node: the scikit-learn estimator classes of
``sklearn.utils.all_estimators()`` and scikit-learn's loss, link and histogram-binning helpers
(as objects), NumPy and ``scipy.special`` ufuncs (as functions), ``int``, ``float``, ``str``,
``bool``, ``list``, ``set``, ``map``, ``tuple`` and NumPy scalar types (as types), containers,
arrays (read with ``allow_pickle=False``), sparse matrices, dtypes and random generators.
Anything else, including every function, method, ``functools.partial`` and ``operator`` node
it does not trust itself, skops reports as untrusted.

Of those reported names, a file loads without trust only if each is in :data:`AUDITED_TYPES`
or :data:`VALIDATED_TYPES` (together :data:`ALLOWED_TYPES`), and skops is given only those
names (the intersection), never the file's list. Trusting a name
trusts it in every role skops can give it, so each was audited for all of them: imported,
created without ``__init__`` with its attributes set from the file, called with arguments from
the file (a constructor, a dict's key type), and handed to an estimator that calls it with the
data and keyword arguments from the file (FunctionTransformer's ``func``, a scorer). Each is a
class whose instances hold data and run NumPy-level code, or a numeric function; none reads or
writes files, imports, runs, evaluates or unpickles anything, whatever its arguments.

Validated instead of audited (:data:`VALIDATED_TYPES`): ``sklearn.tree._tree.Tree`` (decision
trees, random forests, extra trees, gradient boosting, isolation forests, AdaBoost and bagging
of trees) and ``sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor`` (histogram
gradient boosting) hold node indices that compiled code follows without bounds checks
(scikit-learn's predict, and shap's tree explainer, which writes through them), so skops
leaves them untrusted. Building one from any file is safe; following its indices is not. So
each may be built only the way scikit-learn saves it (the node named here), and
:func:`governance.model_validation.check_model` checks every one in the loaded model, and the
estimators and ensembles holding it, before anything else touches the model.

Left out on purpose, so they load only when the model is trusted:

- the ``KDTree`` and ``BallTree`` of neighbour models, and the XGBoost and LightGBM boosters:
  they also hold indices that compiled code follows (the boosters' own loaders among it), and
  are not validated.
- ``scipy.interpolate.BSpline`` (SplineTransformer) and ``scipy.stats`` distributions (kept by
  RandomizedSearchCV): compiled or generic code, not audited.
- Every other function, method, ``functools.partial`` and ``operator`` reference.

To load a model holding another type, set ``model.trusted: true`` in the manifest or pass
``--trust-model``: that is the statement that its origin is trusted, and skops then constructs
whatever the file holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

AUDITED_TYPES: Mapping[str, tuple[str, ...]] = {
    # reason (one line per family) -> exact names, as skops.io.get_untrusted_types spells them
    "a dtype: skops stores it as an empty .npy array read with allow_pickle=False": (
        "numpy.dtype",
    ),
    "FeatureAgglomeration's default pooling function: a mean": ("numpy.mean",),
    "ColumnTransformer's column selector: picks DataFrame columns by dtype or name pattern": (
        "sklearn.compose._column_transformer.make_column_selector",
    ),
    "the dict in which VotingClassifier and StackingClassifier name their estimators": (
        "sklearn.utils._bunch.Bunch",
    ),
    "CalibratedClassifierCV's fitted calibrators: arithmetic on scores": (
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.calibration._TemperatureScaling",
    ),
    "OneVsRestClassifier's stand-in for a class constant in the training data": (
        "sklearn.multiclass._ConstantPredictor",
    ),
    "MLPClassifier's optimiser state, used only while fitting": (
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    ),
    "IterativeImputer (experimental, so not among skops' estimators) and its imputation steps": (
        "sklearn.impute._iterative.IterativeImputer",
        "sklearn.impute._iterative._ImputerTriplet",
    ),
    "GaussianProcessClassifier's fitted model and kernels: linear algebra on stored arrays": (
        "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels.CompoundKernel",
        "sklearn.gaussian_process.kernels.ConstantKernel",
        "sklearn.gaussian_process.kernels.DotProduct",
        "sklearn.gaussian_process.kernels.ExpSineSquared",
        "sklearn.gaussian_process.kernels.Exponentiation",
        "sklearn.gaussian_process.kernels.Matern",
        "sklearn.gaussian_process.kernels.PairwiseKernel",
        "sklearn.gaussian_process.kernels.Product",
        "sklearn.gaussian_process.kernels.RBF",
        "sklearn.gaussian_process.kernels.RationalQuadratic",
        "sklearn.gaussian_process.kernels.Sum",
        "sklearn.gaussian_process.kernels.WhiteKernel",
    ),
    "cross-validation splitters a fitted search or calibration keeps: index arithmetic": (
        "sklearn.model_selection._split.KFold",
        "sklearn.model_selection._split.StratifiedKFold",
    ),
    "scorers and metadata-routing records a fitted search or threshold tuner keeps": (
        "sklearn.metrics._scorer._CurveScorer",
        "sklearn.metrics._scorer._PassthroughScorer",
        "sklearn.metrics._scorer._Scorer",
        "sklearn.utils._metadata_requests.MetadataRequest",
        "sklearn.utils._metadata_requests.MethodMetadataRequest",
    ),
    "score functions of the built-in classification scorers: numbers from labels and scores": (
        "sklearn.metrics._classification.accuracy_score",
        "sklearn.metrics._classification.balanced_accuracy_score",
        "sklearn.metrics._classification.brier_score_loss",
        "sklearn.metrics._classification.d2_brier_score",
        "sklearn.metrics._classification.d2_log_loss_score",
        "sklearn.metrics._classification.f1_score",
        "sklearn.metrics._classification.jaccard_score",
        "sklearn.metrics._classification.log_loss",
        "sklearn.metrics._classification.matthews_corrcoef",
        "sklearn.metrics._classification.precision_score",
        "sklearn.metrics._classification.recall_score",
        "sklearn.metrics._ranking.average_precision_score",
        "sklearn.metrics._ranking.roc_auc_score",
        "sklearn.metrics._ranking.top_k_accuracy_score",
        "sklearn.metrics._scorer.negative_likelihood_ratio",
        "sklearn.metrics._scorer.positive_likelihood_ratio",
    ),
    "SelectKBest's and SelectPercentile's score functions: statistics of the training data": (
        "sklearn.feature_selection._univariate_selection.chi2",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.feature_selection._univariate_selection.r_regression",
    ),
}

VALIDATED_TYPES: Mapping[str, str] = {
    # exact name -> the only skops node that may build it (how scikit-learn's objects are saved)
    "sklearn.tree._tree.Tree": "TreeNode",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": "ObjectNode",
}

ALLOWED_TYPES: frozenset[str] = frozenset(
    name for names in AUDITED_TYPES.values() for name in names
) | frozenset(VALIDATED_TYPES)


def refused_types(untrusted: Iterable[str]) -> list[str]:
    """The names of ``untrusted`` outside :data:`ALLOWED_TYPES`, sorted.

    Parameters
    ----------
    untrusted
        The names ``skops.io.get_untrusted_types`` reports for a file.

    Returns
    -------
    list of str
        Those an untrusted model may not hold; empty if the file may be loaded.
    """
    return sorted({name for name in untrusted if name not in ALLOWED_TYPES})


def allowed_types(untrusted: Iterable[str]) -> list[str]:
    """The names of ``untrusted`` in :data:`ALLOWED_TYPES`, sorted: what to pass skops.

    Parameters
    ----------
    untrusted
        The names ``skops.io.get_untrusted_types`` reports for a file.

    Returns
    -------
    list of str
        The audited names the file holds.
    """
    return sorted({name for name in untrusted if name in ALLOWED_TYPES})
