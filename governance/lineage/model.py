"""What lineage queries return: nodes, edges, graphs, runs and histories (plain values).

Node names follow Marquez: ``dataset:<namespace>:<name>`` and ``job:<namespace>:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DatasetVersion",
    "Edge",
    "GraphNode",
    "History",
    "LineageGraph",
    "Node",
    "NodeKind",
    "RunDetail",
    "RunEvent",
    "RunSummary",
    "SchemaChange",
    "node_name",
    "split_node_name",
]

NodeKind = Literal["dataset", "job"]
NODE_KINDS: tuple[NodeKind, ...] = ("dataset", "job")


def node_name(kind: str, namespace: str, name: str) -> str:
    """Return ``<kind>:<namespace>:<name>``.

    Parameters
    ----------
    kind
        ``dataset`` or ``job``.
    namespace, name
        The OpenLineage namespace and name.

    Returns
    -------
    str
        The node name.
    """
    return f"{kind}:{namespace}:{name}"


def split_node_name(text: str) -> tuple[NodeKind, list[tuple[str, str]]]:
    """Split a node name into its kind and every possible ``(namespace, name)`` reading.

    A namespace may itself hold colons (``postgres://host:5432``), so ``dataset:a:b:c`` could be
    namespace ``a`` and name ``b:c`` or namespace ``a:b`` and name ``c``; the store decides which
    one exists.

    Parameters
    ----------
    text
        ``dataset:<namespace>:<name>`` or ``job:<namespace>:<name>``.

    Returns
    -------
    tuple
        The kind and the candidate ``(namespace, name)`` pairs, longest namespace last.

    Raises
    ------
    ValueError
        If the text does not start with ``dataset:`` or ``job:`` or has no name.
    """
    prefix, sep, rest = text.partition(":")
    kind: NodeKind = "job" if prefix == "job" else "dataset"
    if prefix not in NODE_KINDS or not sep:
        raise ValueError(
            f"{text!r} is not a node name: use dataset:<namespace>:<name> or job:<namespace>:<name>"
        )
    candidates = []
    for index, char in enumerate(rest):
        if char == ":" and 0 < index < len(rest) - 1:
            candidates.append((rest[:index], rest[index + 1 :]))
    if not candidates:
        raise ValueError(f"{text!r} has no namespace and name (expected {kind}:<namespace>:<name>)")
    return kind, candidates


@dataclass(frozen=True)
class Node:
    """A job or dataset in the store."""

    kind: NodeKind
    id: int
    namespace: str
    name: str

    @property
    def key(self) -> str:
        """The node name, ``<kind>:<namespace>:<name>``."""
        return node_name(self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class GraphNode:
    """A node of a lineage graph with its distance from the root, in jobs (0 for the root)."""

    node: Node
    depth: int
    facets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    """A dataset read by a job (``dataset -> job``) or written by it (``job -> dataset``)."""

    source: str
    target: str


@dataclass(frozen=True)
class LineageGraph:
    """The result of a graph query."""

    root: Node
    direction: Literal["upstream", "downstream", "both"]
    depth: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[Edge, ...]
    as_of: str | None = None
    as_of_seq: int | None = None
    """The last log entry taken into account, when ``as_of`` is given."""

    def as_dict(self) -> dict[str, Any]:
        """The graph as JSON-ready values."""
        return {
            "root": self.root.key,
            "direction": self.direction,
            "depth": self.depth,
            "as_of": self.as_of,
            "as_of_seq": self.as_of_seq,
            "nodes": [
                {
                    "id": item.node.key,
                    "type": item.node.kind.upper(),
                    "namespace": item.node.namespace,
                    "name": item.node.name,
                    "depth": item.depth,
                    "facets": list(item.facets),
                }
                for item in self.nodes
            ],
            "edges": [{"source": edge.source, "target": edge.target} for edge in self.edges],
        }


@dataclass(frozen=True)
class RunSummary:
    """One run of a job, as the projections know it."""

    run_id: str
    job: str
    state: str | None
    started_at: str | None
    ended_at: str | None
    first_time: str
    parent_run_id: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON-ready values."""
        return {
            "run_id": self.run_id,
            "job": self.job,
            "state": self.state,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "first_event_time": self.first_time,
            "parent_run_id": self.parent_run_id,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
        }


@dataclass(frozen=True)
class RunEvent:
    """One recorded event of a run."""

    entry_seq: int
    event_type: str | None
    event_time: str
    time_assumed_utc: bool


@dataclass(frozen=True)
class RunDetail:
    """A run with its events, datasets and facets (``governance lineage run``)."""

    summary: RunSummary
    events: tuple[RunEvent, ...]
    run_facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)
    children: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The run as JSON-ready values."""
        return {
            **self.summary.as_dict(),
            "events": [
                {
                    "entry_seq": event.entry_seq,
                    "event_type": event.event_type,
                    "event_time": event.event_time,
                    "time_assumed_utc": event.time_assumed_utc,
                }
                for event in self.events
            ],
            "child_runs": list(self.children),
            "run_facets": self.run_facets,
            "job_facets": self.job_facets,
        }


@dataclass(frozen=True)
class SchemaChange:
    """How a dataset's schema changed from one version to the next."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[str, ...] = ()
    """``name: old -> new``."""

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def describe(self) -> str:
        """``+a, -b, c: int -> string``."""
        parts = [f"+{name}" for name in self.added]
        parts += [f"-{name}" for name in self.removed]
        parts += list(self.retyped)
        return ", ".join(parts)


@dataclass(frozen=True)
class DatasetVersion:
    """One write (or description) of a dataset."""

    entry_seq: int
    event_time: str
    run_id: str | None
    job: str | None
    run_state: str | None
    version: str | None
    schema_digest: str | None
    schema_change: SchemaChange | None
    """The change from the version before with a schema: empty when unchanged; ``None`` when no
    schema is known (``fields`` is ``None`` too) or this is the first version with one."""
    fields: int | None


@dataclass(frozen=True)
class History:
    """What happened to a node between two times (``governance lineage history``)."""

    node: Node
    since: str | None
    until: str | None
    runs: tuple[RunSummary, ...] = ()
    """Runs of the job, or runs that read or wrote the dataset."""
    versions: tuple[DatasetVersion, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The history as JSON-ready values."""
        return {
            "node": self.node.key,
            "since": self.since,
            "until": self.until,
            "runs": [run.as_dict() for run in self.runs],
            "versions": [
                {
                    "entry_seq": version.entry_seq,
                    "event_time": version.event_time,
                    "run_id": version.run_id,
                    "job": version.job,
                    "run_state": version.run_state,
                    "version": version.version,
                    "schema_digest": version.schema_digest,
                    "fields": version.fields,
                    "schema_change": (
                        None
                        if version.schema_change is None
                        else {
                            "added": list(version.schema_change.added),
                            "removed": list(version.schema_change.removed),
                            "retyped": list(version.schema_change.retyped),
                        }
                    ),
                }
                for version in self.versions
            ],
        }
