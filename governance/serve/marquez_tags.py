"""Tags in Marquez's shapes, from the OpenLineage ``tags`` facets the store holds.

A tag's name is the facet entry's ``key`` (``{"key": "pii", "value": "true", "field": "email"}``
tags the field ``email`` with ``pii``). ``GET /api/v1/tags`` lists every key that a dataset,
field, job or run carries, and Marquez's stock tags (:data:`MARQUEZ_TAGS`), by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MARQUEZ_TAGS", "TagEntry", "dataset_tags", "field_tags", "tag_entries", "tag_list"]

MARQUEZ_TAGS = {
    "PII": "Personally identifiable information",
    "SENSITIVE": "Contains sensitive information",
}
"""The tags a Marquez server is configured with out of the box (its ``marquez.example.yml``)."""

KIND_WORDS = {"dataset": "datasets", "field": "fields", "job": "jobs", "run": "runs"}


@dataclass(frozen=True)
class TagEntry:
    """One entry of a ``tags`` facet: its key, value and, for a field's tag, the field."""

    key: str
    value: str
    field: str | None = None


def tag_entries(facets: Mapping[str, Any]) -> list[TagEntry]:
    """The entries of the ``tags`` facet among ``facets`` (malformed entries left out)."""
    facet = facets.get("tags")
    entries = facet.get("tags") if isinstance(facet, Mapping) else None
    found = []
    for item in entries if isinstance(entries, list) else []:
        if not isinstance(item, Mapping):
            continue
        key, value, field = item.get("key"), item.get("value"), item.get("field")
        if isinstance(key, str) and key:
            found.append(
                TagEntry(
                    key,
                    value if isinstance(value, str) else "",
                    field if isinstance(field, str) and field else None,
                )
            )
    return found


def dataset_tags(facets: Mapping[str, Any]) -> list[str]:
    """The names of the tags on the dataset itself, sorted."""
    return sorted({entry.key for entry in tag_entries(facets) if entry.field is None})


def field_tags(facets: Mapping[str, Any]) -> dict[str, list[str]]:
    """The names of the tags on each field, sorted, by field name."""
    found: dict[str, set[str]] = {}
    for entry in tag_entries(facets):
        if entry.field is not None:
            found.setdefault(entry.field, set()).add(entry.key)
    return {field: sorted(names) for field, names in found.items()}


def _description(kinds: set[str], values: set[str]) -> str:
    where = ", ".join(KIND_WORDS[kind] for kind in KIND_WORDS if kind in kinds)
    shown = ", ".join(sorted(value for value in values if value)) or "none"
    return f"OpenLineage tag on {where} (values: {shown})"


def tag_list(facets: Iterable[tuple[str, Mapping[str, Any]]]) -> list[dict[str, str]]:
    """Marquez's ``Tag`` objects (name, description) by name.

    Parameters
    ----------
    facets
        ``(subject kind, tags facet)`` pairs: every ``tags`` facet of a job, dataset or run.

    Returns
    -------
    list of dict
        Marquez's stock tags and every key the facets carry, sorted by name. A stock tag keeps
        its description; another says where it is found and its values.
    """
    kinds: dict[str, set[str]] = {}
    values: dict[str, set[str]] = {}
    for kind, facet in facets:
        for entry in tag_entries({"tags": facet}):
            on = "field" if entry.field is not None else kind
            kinds.setdefault(entry.key, set()).add(on)
            values.setdefault(entry.key, set()).add(entry.value)
    found = {name: description for name, description in MARQUEZ_TAGS.items()}
    for name in kinds:
        found.setdefault(name, _description(kinds[name], values[name]))
    return [{"name": name, "description": found[name]} for name in sorted(found)]
