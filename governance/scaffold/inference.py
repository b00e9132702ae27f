"""What ``governance init`` reads from the model and the data, and what it guesses.

The model's columns and classes are read; the target, the positive label and the sensitive
features are guessed when not given, each guess with its reason (see :mod:`governance.scaffold`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.errors import DataError, InputError, ModelError

SAMPLE_ROWS = 10_000
"""Rows of the data read to tell a column's values: the target's labels, a group's count."""

MAX_GROUPS = 20
"""A column with more values than this in the sample is not guessed as a sensitive feature."""
DEFAULT_RISK_TIER = "high"
RISK_TIER_REASON = "the cautious tier of minimal, limited, high, unacceptable"

TARGET_NAMES = ("label", "target", "y", "outcome", "class", "labels", "result", "decision")
"""Names (lower case) a target column usually has, most likely first."""

POSITIVE_LABELS = (
    "1",
    "1.0",
    "true",
    "yes",
    "y",
    "approved",
    "approve",
    "accepted",
    "accept",
    "granted",
    "good",
    "positive",
    "pos",
    "hired",
    "admitted",
    "pass",
    "passed",
    "success",
)
"""Class labels (lower case) that read as the favourable outcome; ``>...`` (``>50K``) too."""

SENSITIVE_WORDS = frozenset(
    {
        "sex",
        "gender",
        "race",
        "racial",
        "ethnicity",
        "ethnic",
        "age",
        "religion",
        "religious",
        "disability",
        "disabled",
        "marital",
        "nationality",
        "citizenship",
        "pregnancy",
        "pregnant",
        "orientation",
        "color",
        "colour",
        "caste",
    }
)
"""Words of a column name (split at anything not a letter or digit) naming a protected attribute."""

SENSITIVE_PHRASES = (
    "national_origin",
    "native_country",
    "country_of_birth",
    "birth_country",
    "foreign_worker",
)
"""Longer names of protected attributes, matched in the name with ``_`` between words."""

NO_MODEL = "no such model file"
NOT_A_CLASSIFIER = "the model has no classes_: governance checks classifiers ({kind})"
NOT_BINARY = "the model has {count} classes; a binary classifier has two"
NO_PREDICT = "the model ({kind}) has no predict method"
MISSING_FEATURES = "the model was fitted on {count} columns the data lacks: {names}"
NO_TARGET = (
    "no column the model does not read has two values in the first {rows} rows, so there is no "
    "binary target to guess ({count} such columns)"
)
NO_TARGET_HINT = "pass --target COLUMN"
NOT_A_COLUMN = "column {column!r} is not in the data (its header has {count} columns)"
TARGET_NOT_BINARY = (
    "column {column!r} has {count} values in the first {rows} rows: not a binary target"
)
TARGET_IS_FEATURE = "column {column!r} is one the model reads: it cannot be the target"
TARGET_NOT_CLASSES = (
    "column {column!r} holds {count} values that are not the model's classes {classes} "
    "in the first {rows} rows"
)
UNKNOWN_POSITIVE = "positive label {label!r} is not one of the model's classes {classes}"
NO_POSITIVE = "cannot tell which of the model's classes {classes} is the favourable outcome"
NO_POSITIVE_HINT = "pass --positive-label VALUE"
NO_SENSITIVE = (
    "no column is named like a protected attribute (sex, gender, race, age, ...) with at most "
    "{limit} values in the first {rows} rows"
)
NO_SENSITIVE_HINT = "pass --sensitive COLUMN, once per column"
SENSITIVE_IS_TARGET = "sensitive feature {column!r} is the target"
BAD_NAME = (
    "name {name!r} is not valid: letters, digits, '.', '_' and '-', starting with a letter or digit"
)


@dataclass(frozen=True)
class Guess:
    """One value the scaffold could not read and inferred: the field, its value, why."""

    field: str
    value: Any
    reason: str


@dataclass(frozen=True)
class Inference:
    """What a manifest needs, read or guessed from the data and the model.

    Attributes
    ----------
    name
        The model's name.
    risk_tier
        The manifest's ``metadata.risk_tier``.
    target, positive_label, sensitive_features
        As the manifest's ``data`` section takes them.
    features
        The model's columns (``feature_names_in_``), or None when it was fitted without names.
    classes
        The model's classes, as plain Python values.
    guesses
        What was inferred rather than given, by manifest field (``data.target``).
    notes
        Other things to check, as comments for the manifest (a column left out, and why).
    """

    name: str
    risk_tier: str
    target: str
    positive_label: Any
    sensitive_features: tuple[str, ...]
    features: tuple[str, ...] | None
    classes: tuple[Any, ...]
    guesses: tuple[Guess, ...] = ()
    notes: tuple[str, ...] = ()

    def guess(self, field_name: str) -> Guess | None:
        """The guess for ``field_name``, or None when it was given."""
        return next((g for g in self.guesses if g.field == field_name), None)


@dataclass
class _Sample:
    """Distinct values (as plain Python values) and missing counts of some columns."""

    values: dict[str, set[Any]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    rows: int = 0


def infer(
    data: Path,
    model: Path,
    *,
    target: str | None = None,
    positive_label: str | None = None,
    sensitive: Sequence[str] = (),
    name: str | None = None,
    trust_model: bool = False,
) -> Inference:
    """Read the model and the data; infer what was not given.

    Parameters
    ----------
    data
        The evaluation data (CSV or Parquet); its header and first :data:`SAMPLE_ROWS` rows are
        read.
    model
        The model, a skops file, loaded as ``governance check`` loads it.
    target, positive_label, sensitive, name
        Given values; each one not given is guessed.
    trust_model
        Load skops types outside the audited list (``--trust-model``): only for a file whose
        origin you trust.

    Returns
    -------
    Inference
        The values and what was guessed.

    Raises
    ------
    ModelError
        The model file is missing, not a readable skops file, holds refused types, or is not a
        binary classifier.
    DataError
        The data file cannot be read, lacks columns the model needs, or has no binary target.
    InputError
        A given value does not fit (a target that is not binary, an unknown positive label), or
        one that must be given cannot be guessed.
    """
    from governance.data import open_data_file

    loaded = _load_model(model, trust_model)
    classes = _classes(loaded)
    features = _features(loaded)
    source = open_data_file(data)
    header = list(source.columns)
    if features is not None:
        lacking = [column for column in features if column not in header]
        if lacking:
            raise DataError(
                MISSING_FEATURES.format(count=len(lacking), names=", ".join(lacking[:8])),
                path=data,
            )
    for column in [*([target] if target else []), *sensitive]:
        if column not in header:
            raise DataError(NOT_A_COLUMN.format(column=column, count=len(header)), path=data)
    read = _columns_to_read(header, features, target, sensitive)
    sample = _sample(source, read)
    guesses: list[Guess] = []
    notes: list[str] = []

    chosen_target, reason = _target(target, header, features, classes, sample, data)
    if reason is not None:
        guesses.append(Guess("data.target", chosen_target, reason))
    label, reason = _positive_label(positive_label, classes)
    if reason is not None:
        guesses.append(Guess("data.positive_label", label, reason))
    groups, reason = _sensitive(sensitive, header, chosen_target, sample, notes)
    if reason is not None:
        guesses.append(Guess("data.sensitive_features", list(groups), reason))
    if name is None:
        name = _name_from(model)
        guesses.append(Guess("metadata.name", name, "from the model file's name"))
    elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise InputError(BAD_NAME.format(name=name), field="--name")
    guesses.append(Guess("metadata.risk_tier", DEFAULT_RISK_TIER, RISK_TIER_REASON))
    return Inference(
        name=name,
        risk_tier=DEFAULT_RISK_TIER,
        target=chosen_target,
        positive_label=label,
        sensitive_features=tuple(groups),
        features=None if features is None else tuple(features),
        classes=tuple(classes),
        guesses=tuple(guesses),
        notes=tuple(notes),
    )


def _load_model(path: Path, trusted: bool) -> Any:
    from governance.model_artifact import load_skops

    if not path.is_file():
        raise ModelError(NO_MODEL, path=path)
    model = load_skops(path, trusted=trusted)
    if not hasattr(model, "predict"):
        raise ModelError(NO_PREDICT.format(kind=type(model).__name__), path=path)
    return model


def _classes(model: Any) -> list[Any]:
    from governance.data import plain

    classes = getattr(model, "classes_", None)
    if classes is None:
        raise ModelError(NOT_A_CLASSIFIER.format(kind=type(model).__name__))
    values = [plain(value) for value in classes]
    if len(values) != 2:
        raise ModelError(NOT_BINARY.format(count=len(values)))
    return values


def _features(model: Any) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _columns_to_read(
    header: list[str], features: list[str] | None, target: str | None, sensitive: Sequence[str]
) -> list[str]:
    """Columns whose values matter: target candidates and sensitive ones (given or named so)."""
    reading = {column for column in header if features is None or column not in features}
    reading |= {column for column in header if _sensitive_name(column)}
    reading |= set(sensitive) | ({target} if target else set())
    return [column for column in header if column in reading]


def _sample(source: Any, columns: list[str]) -> _Sample:
    """Distinct values and missing counts of ``columns`` in the first SAMPLE_ROWS rows."""
    import pyarrow.compute as pc

    from governance.data import plain

    sample = _Sample()
    if not columns:
        return sample
    for batch in source.select(columns).batches():
        batch = batch.slice(0, SAMPLE_ROWS - sample.rows)
        for column in columns:
            array = batch.column(column)
            values = sample.values.setdefault(column, set())
            if len(values) <= SAMPLE_ROWS:
                values.update(plain(v) for v in pc.unique(array.drop_null()).to_pylist())
            sample.missing[column] = sample.missing.get(column, 0) + array.null_count
        sample.rows += batch.num_rows
        if sample.rows >= SAMPLE_ROWS:
            break
    return sample


def _key(value: Any) -> Any:
    """A label as classes and column values are compared: numbers as numbers, else text."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return str(value)


def _target(
    given: str | None,
    header: list[str],
    features: list[str] | None,
    classes: list[Any],
    sample: _Sample,
    data: Path,
) -> tuple[str, str | None]:
    """The target column and, when guessed, why."""
    known = {_key(value) for value in classes}
    shown = _shown(classes)
    if given is not None:
        values = sample.values.get(given, set())
        if features is not None and given in features:
            raise InputError(TARGET_IS_FEATURE.format(column=given), field="--target")
        if len(values) > 2:
            raise DataError(
                TARGET_NOT_BINARY.format(column=given, count=len(values), rows=sample.rows),
                path=data,
            )
        odd = [value for value in values if _key(value) not in known]
        if odd:
            raise DataError(
                TARGET_NOT_CLASSES.format(
                    column=given, count=len(odd), classes=shown, rows=sample.rows
                ),
                path=data,
            )
        return given, None
    outside = [column for column in header if features is None or column not in features]
    candidates = []
    for position, column in enumerate(outside):
        values = sample.values.get(column, set())
        if not 1 <= len(values) <= 2:
            continue
        classes_match = all(_key(value) in known for value in values)
        if not classes_match and len(values) != 2:
            continue
        named = _target_rank(column)
        candidates.append((not classes_match, named, -position, column, classes_match))
    if not candidates:
        raise DataError(
            NO_TARGET.format(rows=sample.rows, count=len(outside)), path=data, hint=NO_TARGET_HINT
        )
    candidates.sort()
    _, named, _, column, classes_match = candidates[0]
    why = "its values are the model's classes" if classes_match else "it has two values"
    why += ", the model does not read it"
    if named < len(TARGET_NAMES):
        why += ", it is named like a label"
    others = len(candidates) - 1
    if others:
        why += f"; {others} other column{'s' if others > 1 else ''} could be the target"
    return column, why


def _target_rank(column: str) -> int:
    """How much ``column`` is named like a target: its index in TARGET_NAMES, else past them."""
    name = column.lower()
    if name in TARGET_NAMES:
        return TARGET_NAMES.index(name)
    for index, word in enumerate(TARGET_NAMES):
        if len(word) > 1 and (name.endswith(f"_{word}") or name.startswith(f"{word}_")):
            return index
    return len(TARGET_NAMES)


def _positive_label(given: str | None, classes: list[Any]) -> tuple[Any, str | None]:
    """The positive label (one of the model's classes, as the model holds it) and why."""
    shown = _shown(classes)
    if given is not None:
        for value in classes:
            if _key(value) == _key(given) or str(value) == given:
                return value, None
        raise InputError(
            UNKNOWN_POSITIVE.format(label=given, classes=shown), field="--positive-label"
        )
    favourable = [value for value in classes if _favourable(value)]
    if len(favourable) != 1:
        raise InputError(NO_POSITIVE.format(classes=shown), hint=NO_POSITIVE_HINT)
    return favourable[0], f"the favourable outcome among the model's classes {shown}"


def _favourable(value: Any) -> bool:
    text = str(value).strip().lower()
    return text in POSITIVE_LABELS or text.startswith(">")


def _sensitive(
    given: Sequence[str],
    header: list[str],
    target: str,
    sample: _Sample,
    notes: list[str],
) -> tuple[list[str], str | None]:
    """The sensitive features and, when guessed, why; columns left out go to ``notes``."""
    if given:
        if target in given:
            raise InputError(SENSITIVE_IS_TARGET.format(column=target), field="--sensitive")
        _note_missing(list(given), sample, notes)
        return list(dict.fromkeys(given)), None
    chosen = []
    for column in header:
        if column == target or not _sensitive_name(column):
            continue
        count = len(sample.values.get(column, ()))
        if count > MAX_GROUPS:
            notes.append(
                f"not a sensitive feature: {column!r} has {count} values in the first "
                f"{sample.rows} rows: to compare groups, put fewer (bands, regions) in a column of "
                "its own and list that"
            )
            continue
        chosen.append(column)
    if not chosen:
        raise InputError(
            NO_SENSITIVE.format(limit=MAX_GROUPS, rows=sample.rows), hint=NO_SENSITIVE_HINT
        )
    _note_missing(chosen, sample, notes)
    return chosen, "columns named like a protected attribute"


def _note_missing(columns: Iterable[str], sample: _Sample, notes: list[str]) -> None:
    for column in columns:
        missing = sample.missing.get(column, 0)
        if missing:
            notes.append(
                f"{column!r} has {missing} missing values in the first {sample.rows} rows: fill "
                "them with an explicit group (e.g. 'unknown'), or the check stops"
            )


def _sensitive_name(column: str) -> bool:
    """Whether ``column`` is named like a protected attribute."""
    name = re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")
    words = set(name.split("_"))
    return bool(words & SENSITIVE_WORDS) or any(phrase in name for phrase in SENSITIVE_PHRASES)


def _name_from(model: Path) -> str:
    stem = model.name.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")
    return name or "model"


def _shown(classes: Sequence[Any]) -> str:
    return "[" + ", ".join(repr(value) for value in classes) + "]"
