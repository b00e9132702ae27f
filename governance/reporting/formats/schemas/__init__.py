"""Where the record's JSON Schema used to live; it is now generated beside the models.

Deprecated: use :func:`governance.record.record_schema` (docs/evaluation-record.md). This
module is kept for one release so that code validating ``--format json`` keeps working.
"""

from __future__ import annotations

import warnings
from typing import Any

MOVED = (
    "governance.reporting.formats.schemas.record_schema moved to "
    "governance.record.record_schema; this alias goes in the next release"
)


def record_schema() -> dict[str, Any]:
    """Return the evaluation record's JSON Schema (deprecated alias).

    Returns
    -------
    dict
        :func:`governance.record.record_schema`.
    """
    from governance.record import record_schema as generated

    warnings.warn(MOVED, DeprecationWarning, stacklevel=2)
    return generated()
