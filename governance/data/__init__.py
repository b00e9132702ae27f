"""The evaluation data a manifest points at: read in chunks, checked to fit the manifest.

- :mod:`governance.data.source`: a CSV or Parquet file opened to be read chunk by chunk, only
  the columns needed (:class:`TableSource`).
- :mod:`governance.data.labels`: column values encoded, the target compared with the positive
  label and checked (:class:`TargetCheck`).
- :mod:`governance.data.evaluation`: the data held in memory (:class:`EvaluationData`) and the
  checks of the columns the manifest names.
"""

from governance.data.evaluation import (
    NOT_A_COLUMN,
    NOT_READ,
    EvaluationData,
    check_group_columns,
    check_manifest_columns,
    load_evaluation_data,
    missing_group_values,
    single_group,
)
from governance.data.labels import (
    ClassEncoder,
    LabelChunk,
    TargetCheck,
    binarise,
    encode_column,
    is_numeric_type,
    label_key,
    matches_label,
    numeric_values,
    plain,
    shown_labels,
    value_matches,
)
from governance.data.source import (
    MAX_COLUMNS,
    MAX_HEADER_BYTES,
    SUFFIX_FORMATS,
    TableSource,
    data_format,
    open_data_file,
    open_table,
    plain_batch,
    suffix_format,
    to_pandas,
)

__all__ = [
    "MAX_COLUMNS",
    "MAX_HEADER_BYTES",
    "NOT_A_COLUMN",
    "NOT_READ",
    "SUFFIX_FORMATS",
    "ClassEncoder",
    "EvaluationData",
    "LabelChunk",
    "TableSource",
    "TargetCheck",
    "binarise",
    "check_group_columns",
    "check_manifest_columns",
    "data_format",
    "encode_column",
    "is_numeric_type",
    "label_key",
    "load_evaluation_data",
    "matches_label",
    "missing_group_values",
    "numeric_values",
    "open_data_file",
    "open_table",
    "plain",
    "plain_batch",
    "shown_labels",
    "single_group",
    "suffix_format",
    "to_pandas",
    "value_matches",
]
