"""The typed evaluation record (docs/evaluation-record.md): models, reading, JSON Schema."""

from governance.record.model import (
    READ_VERSIONS,
    RECORD_SCHEMA_VERSION,
    EvaluationRecord,
    FindingRecord,
)
from governance.record.read import read_record
from governance.record.schema import record_schema

__all__ = [
    "READ_VERSIONS",
    "RECORD_SCHEMA_VERSION",
    "EvaluationRecord",
    "FindingRecord",
    "read_record",
    "record_schema",
]
