"""What lineage checks see: the model's recorded lineage, loaded from the store before evaluation.

Evaluators never touch the database. When a policy uses a ``lineage.*`` check, the gate loads a
:class:`LineageSnapshot` from the audit store (:func:`load_snapshot`) and puts it in the
evaluation context; the checks read only the snapshot.

How the model artifact's training run is found, in order:

1. the manifest's ``lineage.training_run`` (a run id);
2. a run output whose ``version`` facet (``datasetVersion``) is the model file's digest
   (``sha256:<hex>``, or the bare hex);
3. a run output named like the model file: namespace ``file``, name the path as the manifest
   resolves it, the absolute path, or the path relative to the working directory. The latest
   run that wrote it counts.

The chain is then followed upstream: hop 1 is the training run's job with the run's own inputs;
hop ``n + 1`` is the jobs that wrote a dataset of hop ``n``, with the datasets those jobs read
(over every recorded run of theirs). A dataset no recorded job wrote is a source.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from governance.lineage.model import LineageGraph, Node, RunDetail, RunSummary, node_name
from governance.paths import portable_name, project_root

if TYPE_CHECKING:
    from governance.lineage.queries import LineageQueries
    from governance.store.records import Entry

__all__ = [
    "Chain",
    "LineageSnapshot",
    "LineageSource",
    "RunOrigin",
    "load_snapshot",
]


class LineageSource(Protocol):
    """Where a snapshot is read from: an open AuditStore, or its verified lineage."""

    @property
    def lineage(self) -> LineageQueries:
        """Queries over lineage tables."""
        ...

    def head(self) -> Entry | None:
        """The log's last entry."""
        ...


FILE_NAMESPACE = "file"
FAILED_STATES = frozenset({"FAIL", "ABORT"})


@dataclass(frozen=True)
class RunOrigin:
    """Who delivered a run's events, and how long after its eventTime the latest was recorded."""

    delivered_by: tuple[str, ...]
    delay_seconds: float


@dataclass(frozen=True)
class Chain:
    """The model's lineage within some number of hops."""

    datasets: dict[str, int]
    """Dataset node name -> hop (1 for the training run's inputs)."""
    jobs: dict[str, int]
    """Job node name -> hop (1 for the training job)."""
    sources: tuple[str, ...]
    """Datasets in the chain that no recorded job wrote."""
    beyond: tuple[str, ...]
    """Datasets at the last hop that some job wrote: not traced to a source within the hops."""


@dataclass(frozen=True)
class LineageSnapshot:
    """The recorded lineage of the model under review, as the store knew it at ``log_size``."""

    log_size: int
    lookup: str
    """What was looked for, in words."""
    max_hops: int
    model_dataset: str | None = None
    found_by: str | None = None
    training_run: RunDetail | None = None
    declared: tuple[str, ...] = ()
    """The manifest's training datasets, as node names."""
    graph: LineageGraph | None = None
    """Upstream of the training job, ``max_hops`` jobs deep."""
    facets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Latest facets of every node of the graph, by node name."""
    writers: Mapping[str, tuple[RunSummary, ...]] = field(default_factory=dict)
    """Runs that wrote each dataset of the graph, oldest first."""
    origins: Mapping[str, RunOrigin] = field(default_factory=dict)
    """Who delivered the events of the training run and of the writers, by run id."""
    left_out: int = 0
    """Events the rules' ``sources`` left out."""

    def run_ids(self) -> list[str]:
        """The training run and every run that wrote a dataset of the graph."""
        runs = [] if self.training_run is None else [self.training_run.summary.run_id]
        runs += [run.run_id for items in self.writers.values() for run in items]
        return list(dict.fromkeys(runs))

    def chain(self, max_hops: int) -> Chain:
        """Follow the lineage from the training run, at most ``max_hops`` jobs deep.

        Parameters
        ----------
        max_hops
            How many jobs back from the model (the training job is hop 1); at most the
            snapshot's ``max_hops``.

        Returns
        -------
        Chain
            Empty when no training run was found.
        """
        run = self.training_run
        if run is None:
            return Chain({}, {}, (), ())
        written_by: dict[str, list[str]] = {}
        reads: dict[str, list[str]] = {}
        for edge in self.graph.edges if self.graph is not None else ():
            if edge.source.startswith("job:"):
                written_by.setdefault(edge.target, []).append(edge.source)
            else:
                reads.setdefault(edge.target, []).append(edge.source)
        datasets = dict.fromkeys(run.summary.inputs, 1)
        jobs = {run.summary.job: 1}
        sources: list[str] = []
        beyond: list[str] = []
        frontier = list(run.summary.inputs)
        hop = 1
        while frontier:
            following: list[str] = []
            for dataset in frontier:
                writers = sorted(set(written_by.get(dataset, [])))
                if not writers:
                    sources.append(dataset)
                    continue
                if hop >= max_hops:
                    beyond.append(dataset)
                    continue
                for job in writers:
                    jobs.setdefault(job, hop + 1)
                    for read in reads.get(job, []):
                        if read not in datasets:
                            datasets[read] = hop + 1
                            following.append(read)
            frontier = following
            hop += 1
        return Chain(datasets, jobs, tuple(sorted(sources)), tuple(sorted(beyond)))

    def failed_runs(self, chain: Chain) -> tuple[list[RunSummary], list[RunSummary]]:
        """The failed and the unfinished runs behind the model.

        The training run, and for each dataset of the chain the last run that wrote it before
        the training run started (the version the chain used).

        Returns
        -------
        tuple of (list of RunSummary, list of RunSummary)
            Runs that ended FAIL or ABORT, and runs with no terminal state yet.
        """
        run = self.training_run
        if run is None:
            return [], []
        start = run.summary.started_at or run.summary.first_time
        considered = {run.summary.run_id: run.summary}
        for dataset in chain.datasets:
            earlier = [w for w in self.writers.get(dataset, ()) if w.first_time <= start]
            if earlier:
                considered.setdefault(earlier[-1].run_id, earlier[-1])
        failed = [r for r in considered.values() if r.state in FAILED_STATES]
        unfinished = [
            r for r in considered.values() if r.state not in FAILED_STATES and r.state != "COMPLETE"
        ]
        key = lambda r: (r.first_time, r.run_id)  # noqa: E731
        return sorted(failed, key=key), sorted(unfinished, key=key)


def load_snapshot(
    store: LineageSource,
    *,
    max_hops: int,
    training_run: str | None,
    model_path: Path | None,
    model_digest: str | None,
    training_datasets: Sequence[tuple[str, str]] = (),
) -> LineageSnapshot:
    """Load the lineage of a model from the store.

    Parameters
    ----------
    store
        Where to read: :meth:`AuditStore.verified_lineage` for a decision (tables rebuilt
        from the hash-checked log), or the store itself.
    max_hops
        How deep the checks will look (the largest ``max_hops`` of the policies' rules).
    training_run
        The manifest's ``lineage.training_run``, if any.
    model_path
        The model artifact as the manifest resolves it, if there is one.
    model_digest
        Its ``sha256:<hex>`` digest.
    training_datasets
        The manifest's declared training datasets, ``(namespace, name)``.

    Returns
    -------
    LineageSnapshot
        What the checks need; ``training_run`` is ``None`` if none was found.
    """
    from governance.errors import LineageError

    queries = store.lineage
    head = store.head()
    size = 0 if head is None else head.seq
    declared = tuple(node_name("dataset", ns, name) for ns, name in training_datasets)
    run: RunDetail | None = None
    model_dataset: str | None = None
    found_by: str | None = None
    if training_run:
        lookup = f"run {training_run} (the manifest's lineage.training_run)"
        try:
            run = queries.run(training_run)
            found_by = "manifest lineage.training_run"
        except LineageError:
            run = None
    else:
        lookup, run, model_dataset, found_by = _find_by_artifact(queries, model_path, model_digest)
    if run is None:
        return LineageSnapshot(log_size=size, lookup=lookup, max_hops=max_hops, declared=declared)
    job = queries.resolve(run.summary.job)
    graph = queries.traverse(job, "upstream", depth=max_hops)
    nodes = [item.node for item in graph.nodes]
    datasets = [node for node in nodes if node.kind == "dataset"]
    writers = queries.writers(node.id for node in datasets)
    by_id = {node.id: node.key for node in datasets}
    return LineageSnapshot(
        log_size=size,
        lookup=lookup,
        max_hops=max_hops,
        declared=declared,
        model_dataset=model_dataset,
        found_by=found_by,
        training_run=run,
        graph=graph,
        facets=queries.facets(nodes),
        writers={by_id[dataset_id]: tuple(runs) for dataset_id, runs in writers.items()},
    )


def _find_by_artifact(
    queries: Any, model_path: Path | None, model_digest: str | None
) -> tuple[str, RunDetail | None, str | None, str | None]:
    if model_path is None:
        return "a model artifact (the manifest evaluates a predictions column)", None, None, None
    portable = portable_name(model_path, project_root(model_path.absolute().parent))
    names = [str(model_path), portable, str(model_path.absolute())]
    with contextlib.suppress(ValueError):
        names.append(str(model_path.absolute().relative_to(Path.cwd())))
    names = list(dict.fromkeys(names))
    # the report says what was looked for by the portable name only: the others (how older
    # stores named the file) hold the checking machine's paths
    lookup = f"a run that wrote file:{portable}"
    if model_digest:
        lookup = f"{lookup}, or a dataset with version {model_digest}"
        bare = model_digest.removeprefix("sha256:")
        for version in (model_digest, bare):
            for node, run_id in reversed(queries.datasets_with_version(version)):
                if run_id:
                    return lookup, queries.run(run_id), node.key, "model digest (version facet)"
    found: list[Node] = queries.find_datasets([(FILE_NAMESPACE, name) for name in names])
    if found:
        writers = queries.writers(node.id for node in found)
        latest = max(
            ((run, node) for node in found for run in writers.get(node.id, [])),
            key=lambda pair: (pair[0].first_time, pair[0].run_id),
            default=None,
        )
        if latest is not None:
            return lookup, queries.run(latest[0].run_id), latest[1].key, "model path"
    return lookup, None, None, None
