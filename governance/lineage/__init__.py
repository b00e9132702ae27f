"""OpenLineage for governance checks: every check is a run with START and COMPLETE or FAIL events.

Importing this package is cheap, and building events never imports openlineage-python.
See ``docs/lineage.md``.
"""

from governance.lineage.events import complete_event, fail_event, start_event
from governance.lineage.naming import (
    PRODUCER_TEMPLATE,
    VERDICT_FACET,
    VERDICT_SCHEMA_ID,
    VERDICT_SCHEMA_URL,
    job_name,
    new_run_id,
    producer,
)
from governance.lineage.schemas import facet_schemas

__all__ = [
    "PRODUCER_TEMPLATE",
    "VERDICT_FACET",
    "VERDICT_SCHEMA_ID",
    "VERDICT_SCHEMA_URL",
    "complete_event",
    "facet_schemas",
    "fail_event",
    "job_name",
    "new_run_id",
    "producer",
    "start_event",
]
