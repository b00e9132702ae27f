"""The SLSA Verification Summary Attestation (VSA v1) of a gate's verdict on a model.

The statement is an in-toto Statement v1 whose subjects are the model artifact (by its sha256)
and, when given, a container image digest; its predicate follows
https://slsa.dev/spec/v1.0/verification_summary: ``verifier.id``, ``timeVerified``,
``resourceUri``, ``policy`` (the policy set), ``inputAttestations`` (the evaluation record),
``verificationResult``, ``verifiedLevels`` and ``slsaVersion``.

The policy set is every policy the evaluation applied. ``policy.uri`` names it
(``urn:governance:policy-set:`` and the sorted names), ``policy.digest.sha256`` hashes the
canonical list of names, versions and digests. Each applied policy is also one custom level of
``verifiedLevels`` (``GOVERNANCE_POLICY_<NAME>``, ``GOVERNANCE_PACK_<NAME>`` for a shipped
pack), so an admission controller can test membership without parsing our extension; the spec
allows custom levels not starting with ``SLSA_``. The facts a verifier needs to look the
evaluation up (its id, the record digest, the model's name and version, the policies in full)
and the policies ``required_policies`` demanded for its risk tier, are in one extension field
named by a URI (:data:`EXTENSION`), as the spec's parsing rules allow; consumers that do not
know it ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from governance.canonical import canonical_json, sha256_hex
from governance.errors import InputError
from governance.paths import shown_name
from governance.policy.packs import PACK_PREFIX
from governance.policy.required import REQUIRED_RULE_ID
from governance.reporting.attest import STATEMENT_TYPE, hex_digest

VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
VERIFIER_ID = "https://governance-project.github.io/verifier/governance-check/v1"
EXTENSION = "https://governance-project.github.io/spec/attestations/vsa-evaluation/v1"
"""The extension field of the predicate holding the evaluation's facts."""
POLICY_SET_URI = "urn:governance:policy-set:"
EVALUATION_URI = "urn:governance:evaluation:"
SLSA_VERSION = "1.0"
PASSED = "PASSED"
FAILED = "FAILED"
POLICY_LEVEL = "GOVERNANCE_POLICY_"
PACK_LEVEL = "GOVERNANCE_PACK_"

IMAGE_FORMAT = "must be sha256:<64 hex digits> or NAME@sha256:<64 hex digits>, found {value!r}"
NO_MODEL_ARTIFACT = (
    "a VSA binds a model artifact by its digest, and this evaluation read a predictions column"
)
NO_MODEL_HINT = "name the model file in the manifest (model.path), or drop --vsa"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NOT_LEVEL = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class ImageDigest:
    """A container image by digest, as a VSA subject.

    Parameters
    ----------
    name
        The image's name (``ghcr.io/acme/credit-model``), or ``image`` when none was given.
    sha256
        The manifest digest, lowercase hex.
    """

    name: str
    sha256: str


def parse_image_digest(value: str, field: str = "image_digest") -> ImageDigest:
    """``NAME@sha256:HEX`` or ``sha256:HEX`` as an :class:`ImageDigest`.

    Raises
    ------
    InputError
        If ``value`` is neither form (the error names ``field``).
    """
    name, at, digest = value.strip().rpartition("@")
    algorithm, _, hex_value = digest.partition(":")
    if (at and not name) or algorithm != "sha256" or not _HEX64.fullmatch(hex_value.lower()):
        raise InputError(IMAGE_FORMAT.format(value=value), field=field)
    return ImageDigest(name=name or "image", sha256=hex_value.lower())


def policy_refs(policy: Mapping[str, Any]) -> list[str]:
    """How a recorded policy can be named by ``--policy-set``: its name, and ``pack:NAME``.

    ``pack:NAME`` only for a policy read from a shipped pack's own file (its recorded path),
    never for a policy of the user's that takes a pack's name.
    """
    refs = [str(policy["name"])] if policy.get("name") else []
    path = policy.get("path")
    if isinstance(path, str) and path.startswith(PACK_PREFIX):
        refs.append(path)
    return refs


def level_of(ref: str) -> str:
    """The custom ``verifiedLevels`` value of a policy ref (``pack:fair-lending`` -> ...)."""
    if ref.startswith(PACK_PREFIX):
        return PACK_LEVEL + _NOT_LEVEL.sub("_", ref.removeprefix(PACK_PREFIX).upper()).strip("_")
    return POLICY_LEVEL + _NOT_LEVEL.sub("_", ref.upper()).strip("_")


def policy_set(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The policies an evaluation applied: name, version, sha256 and the refs naming each."""
    found = []
    for policy in record.get("policies") or []:
        found.append(
            {
                "name": policy.get("name"),
                "version": policy.get("version"),
                "digest": {"sha256": hex_digest(policy.get("digest"))},
                "refs": policy_refs(policy),
            }
        )
    return sorted(found, key=lambda item: str(item["name"]))


def policy_descriptor(policies: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The predicate's ``policy``: a ResourceDescriptor naming and hashing the policy set."""
    names = sorted({ref for policy in policies for ref in policy["refs"]})
    listed = [
        {"name": policy["name"], "version": policy["version"], "digest": policy["digest"]}
        for policy in policies
    ]
    return {
        "uri": POLICY_SET_URI + quote(",".join(names), safe=",:@"),
        "digest": {"sha256": sha256_hex(canonical_json(listed))},
    }


def model_subject(record: Mapping[str, Any]) -> dict[str, Any]:
    """The model artifact as a statement subject (portable name, sha256).

    Raises
    ------
    InputError
        If the evaluation had no model artifact (a predictions column).
    """
    artifact = (record.get("artifacts") or {}).get("model") or {}
    digest = hex_digest(artifact.get("digest"))
    if digest is None:
        raise InputError(NO_MODEL_ARTIFACT, field="vsa", hint=NO_MODEL_HINT)
    return {"name": shown_name(str(artifact.get("path") or "model")), "digest": {"sha256": digest}}


def build_vsa(
    record: Mapping[str, Any],
    *,
    image: ImageDigest | None = None,
    time_verified: str | None = None,
) -> dict[str, Any]:
    """The VSA statement of an evaluation record.

    Parameters
    ----------
    record
        The evaluation record (as recorded: the gate's record or one read from the store).
    image
        A container image that serves the model, as a second subject.
    time_verified
        When the verification took place; default the record's ``finished_at``.

    Returns
    -------
    dict
        The in-toto statement; ``verificationResult`` is ``PASSED`` for a passed verdict and
        ``FAILED`` (with ``verifiedLevels`` ``["FAILED"]``) otherwise.

    Raises
    ------
    InputError
        If the record has no model artifact digest.
    """
    subjects = [model_subject(record)]
    if image is not None:
        subjects.append({"name": image.name, "digest": {"sha256": image.sha256}})
    policies = policy_set(record)
    passed = record.get("verdict") == "passed"
    levels = sorted({level_of(ref) for policy in policies for ref in policy["refs"]})
    record_digest = sha256_hex(canonical_json(dict(record)))
    evaluation_id = str(record.get("evaluation_id"))
    model = record.get("model") or {}
    predicate = {
        "verifier": {"id": VERIFIER_ID, "version": {"governance": _tool_version(record)}},
        "timeVerified": time_verified or record.get("finished_at"),
        "resourceUri": quote(subjects[0]["name"], safe="/:@"),
        "policy": policy_descriptor(policies),
        "inputAttestations": [
            {
                "name": "evaluation.json",
                "uri": EVALUATION_URI + evaluation_id,
                "digest": {"sha256": record_digest},
                "mediaType": "application/json",
            }
        ],
        "verificationResult": PASSED if passed else FAILED,
        "verifiedLevels": levels if passed else [FAILED],
        "slsaVersion": SLSA_VERSION,
        EXTENSION: {
            "evaluationId": evaluation_id,
            "recordDigest": {"sha256": record_digest},
            "model": {"name": model.get("name"), "version": model.get("version")},
            "riskTier": model.get("risk_tier"),
            "verdict": record.get("verdict"),
            "failOn": record.get("fail_on"),
            "policies": policies,
            "requiredPolicies": required_policies(record),
        },
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": predicate,
    }


def required_policies(record: Mapping[str, Any]) -> list[str] | None:
    """The policies the setting ``required_policies`` required for the model's tier, if any.

    Read from the record's ``required-policies`` finding; ``None`` when nothing was required.
    """
    for finding in record.get("findings") or []:
        if finding.get("rule_id") == REQUIRED_RULE_ID:
            required = (finding.get("evidence") or {}).get("required")
            return [str(name) for name in required] if isinstance(required, list) else None
    return None


def _tool_version(record: Mapping[str, Any]) -> str:
    tool = record.get("tool") or {}
    return str(tool.get("version")) if isinstance(tool, Mapping) else "unknown"
