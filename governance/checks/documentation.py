"""Documentation check types (computed by governance.evaluators.documentation).

They read the manifest's ``documentation`` section: documentary evidence (a model card, a risk
management record, ...) that a compliance team requires but no metric can measure.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from governance.checks.params import CheckParams
from governance.checks.registry import CheckType

FieldPath = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=300)
]


class FieldPresentParams(CheckParams):
    """Dotted paths into the manifest's ``documentation`` (``model_card.intended_use``)."""

    fields: Annotated[list[FieldPath], Field(min_length=1)]


CHECKS = (
    CheckType(
        name="documentation.field_present",
        summary="Number of the listed documentation fields of the manifest that are missing "
        "or empty; require max: 0.",
        params=FieldPresentParams,
        runner="governance.evaluators.documentation:field_present",
        measures="documentation fields missing",
    ),
)
