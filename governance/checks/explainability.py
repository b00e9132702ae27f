"""Explainability check types (computed by governance.evaluators.explainability).

Every explainability rule reads one shared explanation of the model (SHAP values of a seeded
sample of rows), computed once per evaluation for each distinct budget. The budget params are
common to all of them; left out, the global settings (``explain_rows``, ``explain_background``,
``explain_max_seconds``) or the defaults apply.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from governance.checks.params import CheckParams, Column
from governance.checks.registry import CheckType

_EXPLAINABILITY = "governance.evaluators.explainability"

DEFAULT_ADDITIVITY_TOLERANCE = 1e-6
DEFAULT_TOP_K = 5
DEFAULT_PROXY_TOP_K = 10
DEFAULT_MIN_ASSOCIATION = 0.3
DEFAULT_MIN_ATTRIBUTION_SHARE = 0.05
DEFAULT_RESAMPLES = 200

Features = Annotated[list[Column], Field(min_length=1)]


class ExplainParams(CheckParams):
    """The explanation's budget, shared by every explainability check.

    Rules with the same budget share one explanation; ``None`` means the global setting or
    the default.
    """

    rows: Annotated[int, Field(ge=1)] | None = None
    background: Annotated[int, Field(ge=1)] | None = None
    max_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    seed: Annotated[int, Field(ge=0)] = 0
    additivity_tolerance: Annotated[float, Field(gt=0, allow_inf_nan=False)] = (
        DEFAULT_ADDITIVITY_TOLERANCE
    )


class AvailableParams(ExplainParams):
    """The model can be explained completely, and the explanation is additive."""


class SensitiveShareParams(ExplainParams):
    """Share of the attribution carried by sensitive features."""

    sensitive_features: Features | None = None


class ProxyParams(ExplainParams):
    """Potential proxies: strongly associated with a sensitive feature and influential."""

    sensitive_features: Features | None = None
    top_k: Annotated[int, Field(ge=1)] = DEFAULT_PROXY_TOP_K
    min_association: Annotated[float, Field(gt=0, le=1)] = DEFAULT_MIN_ASSOCIATION
    min_attribution_share: Annotated[float, Field(ge=0, le=1)] = DEFAULT_MIN_ATTRIBUTION_SHARE


class TopFeaturesParams(ExplainParams):
    """The most influential features, against an allowlist or a denylist."""

    top_k: Annotated[int, Field(ge=1)] = DEFAULT_TOP_K
    allow: Features | None = None
    deny: Features | None = None

    @model_validator(mode="after")
    def _one_list(self) -> TopFeaturesParams:
        if self.allow is None and self.deny is None:
            raise ValueError("give allow, deny or both")
        return self


class StabilityParams(ExplainParams):
    """How stable the top features are across bootstrap resamples of the explained rows."""

    top_k: Annotated[int, Field(ge=1)] = DEFAULT_TOP_K
    resamples: Annotated[int, Field(ge=10, le=10_000)] = DEFAULT_RESAMPLES


CHECKS = (
    CheckType(
        name="explainability.available",
        summary="The model can be explained with SHAP within the budget, additively.",
        params=AvailableParams,
        runner=f"{_EXPLAINABILITY}:available",
        measures="fraction of the requested rows explained (1 when complete)",
    ),
    CheckType(
        name="explainability.sensitive_attribution_share",
        summary="Share of the total mean |SHAP| attribution carried by sensitive features.",
        params=SensitiveShareParams,
        runner=f"{_EXPLAINABILITY}:sensitive_attribution_share",
        measures="share of attribution on sensitive features",
    ),
    CheckType(
        name="explainability.proxy_features",
        summary="Number of potential proxies of a sensitive feature among the top-k features.",
        params=ProxyParams,
        runner=f"{_EXPLAINABILITY}:proxy_features",
        measures="potential proxies among the top features",
    ),
    CheckType(
        name="explainability.top_features",
        summary="Number of top-k features outside the allowlist or on the denylist.",
        params=TopFeaturesParams,
        runner=f"{_EXPLAINABILITY}:top_features",
        measures="top features not allowed",
    ),
    CheckType(
        name="explainability.stability",
        summary="Mean share of the top-k features that stay in the top k across bootstrap "
        "resamples of the explained rows.",
        params=StabilityParams,
        runner=f"{_EXPLAINABILITY}:stability",
        measures="top-k overlap across resamples",
    ),
)
