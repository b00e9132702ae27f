"""Deploy-time enforcement: the SLSA VSA of a verdict, and allow/deny from it (docs/deploy-gate.md).

:mod:`~governance.deploy.vsa` builds the statement, :mod:`~governance.deploy.bundle` signs it
and writes it as a DSSE envelope and a Sigstore bundle, :mod:`~governance.deploy.issue` plans and
writes it for a check, and :mod:`~governance.deploy.decide` is ``governance verify-model``.
"""

from governance.deploy.decide import ModelDecision, parse_max_age, verify_model
from governance.deploy.issue import VsaPlan, plan_vsa, write_vsa
from governance.deploy.vsa import ImageDigest, build_vsa, parse_image_digest

__all__ = [
    "ImageDigest",
    "ModelDecision",
    "VsaPlan",
    "build_vsa",
    "parse_image_digest",
    "parse_max_age",
    "plan_vsa",
    "verify_model",
    "write_vsa",
]
