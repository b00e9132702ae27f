"""A store's evaluations, monitored windows and reports, read once from the log, hash-checked.

The inventory and the Annex IV document decide from this: every record is read from its log
entry after its hash is checked (as the gate's ``latest`` is), never from the query tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from governance.errors import VerificationFailed

if TYPE_CHECKING:
    from governance.audit import AuditStore

__all__ = ["StoreHistory", "read_history"]

EVALUATION_KIND = "evaluation"
REPORT_KIND = "report"
TAMPERED = "audit entry {seq} does not match its hash"
TAMPERED_HINT = "run `governance audit verify` to check the whole log"


@dataclass
class StoreHistory:
    """What the store holds, in the order it was appended.

    Attributes
    ----------
    gates
        Gate evaluations (not monitored windows) by ``(model, version)``, oldest first;
        the keys in the order their first evaluation was appended.
    windows
        Monitored windows by the id of the gate evaluation they continue, oldest first.
    reports
        ``report`` entries by evaluation id, oldest first, each with its ``seq`` and
        ``created_at``.
    documents
        ``report`` entries of documents (``governance document``), as ``reports``.
    """

    gates: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    windows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reports: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    last_seq: dict[tuple[str, str], int] = field(default_factory=dict)

    def latest_version(self, model: str) -> str | None:
        """The version of ``model`` whose gate evaluation was appended last, or None."""
        keys = [key for key in self.gates if key[0] == model]
        return max(keys, key=lambda key: self.last_seq[key])[1] if keys else None

    def versions_of(self, model: str) -> list[str]:
        """The versions of ``model``, in the order they were first evaluated."""
        return [version for name, version in self.gates if name == model]

    def latest_window(self, gates: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The newest monitored window of any of ``gates`` (by window end, then append order)."""
        found: list[tuple[str, int, dict[str, Any]]] = []
        for record in gates:
            for index, window in enumerate(self.windows.get(str(record["evaluation_id"]), ())):
                end = str(window["monitoring"].get("window_end", ""))
                found.append((end, index, window))
        return max(found, key=lambda item: (item[0], item[1]))[2] if found else None

    def windows_of(self, gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every window of ``gates``: the latest record of each window, in time order."""
        latest: dict[Any, dict[str, Any]] = {}
        for record in gates:
            for window in self.windows.get(str(record["evaluation_id"]), ()):
                part = window["monitoring"]
                latest[(part.get("baseline"), part.get("key"))] = window
        return sorted(latest.values(), key=lambda item: str(item["monitoring"]["window_start"]))


def _checked(entries: Iterator[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    for entry in entries:
        if not entry.hash_matches():
            raise VerificationFailed(TAMPERED.format(seq=entry.seq), hint=TAMPERED_HINT)
        payload = entry.payload
        if isinstance(payload, Mapping):
            yield entry, dict(payload)


def read_history(store: AuditStore, *, model: str | None = None) -> StoreHistory:
    """Read every evaluation and report entry of the store (of ``model``), hash-checked.

    Raises
    ------
    VerificationFailed
        If an entry does not match its hash.
    """
    history = StoreHistory()
    for entry, record in _checked(store.entries(kind=EVALUATION_KIND)):
        named = record.get("model")
        if not isinstance(named, Mapping) or not isinstance(record.get("evaluation_id"), str):
            continue
        if model is not None and named.get("name") != model:
            continue
        part = record.get("monitoring")
        if isinstance(part, Mapping):
            history.windows.setdefault(str(part.get("baseline")), []).append(record)
            continue
        key = (str(named.get("name")), str(named.get("version")))
        history.gates.setdefault(key, []).append(record)
        history.last_seq[key] = entry.seq
    for entry, payload in _checked(store.entries(kind=REPORT_KIND)):
        evaluation_id = payload.get("evaluation_id")
        if isinstance(evaluation_id, str):
            shown = {**payload, "seq": entry.seq, "created_at": entry.created_at_text}
            kept = history.documents if "document" in payload else history.reports
            kept.setdefault(evaluation_id, []).append(shown)
    return history
