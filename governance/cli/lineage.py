"""``governance lineage``: ingest OpenLineage events and ask where data and models came from."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from governance.cli.options import config_option, resolve_store_url, store_option
from governance.errors import EXIT_OK, LineageError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DEPTH = 20


class TimeOption(click.ParamType[str, Any]):
    """An RFC 3339 time with a zone, or a date (UTC); converted to the store's UTC form."""

    name = "TIME"

    def __init__(self, *, end_of_day: bool = False) -> None:
        self.end_of_day = end_of_day

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Return the time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
        from governance.lineage.validate import parse_time_option

        try:
            return parse_time_option(str(value), end_of_day=self.end_of_day)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _format_option(choices: tuple[str, ...]) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help="Output format.",
    )


def _depth_option(function: F) -> F:
    return click.option(
        "--depth",
        type=click.IntRange(min=1, max=1000),
        default=DEFAULT_DEPTH,
        show_default=True,
        help="How many jobs away from NODE to go.",
    )(function)


def _as_of_option(function: F) -> F:
    return click.option(
        "--as-of",
        type=TimeOption(end_of_day=True),
        help="The graph as the store knew it then: only what was recorded by TIME "
        "(a date means its end, UTC).",
    )(function)


@click.group()
def lineage() -> None:
    """Record OpenLineage events and query the lineage of datasets, jobs and runs."""


@lineage.command("ingest")
@click.argument("sources", nargs=-1, required=True, metavar="FILE|DIR|-...")
@click.option("--strict", is_flag=True, help="Store nothing unless every event is valid.")
@click.option(
    "--assume-utc",
    is_flag=True,
    help="Accept eventTime values without a time zone, read as UTC (each one is reported).",
)
@_format_option(("text", "json"))
@store_option
@config_option
def ingest_command(
    sources: tuple[str, ...],
    strict: bool,
    assume_utc: bool,
    fmt: str,
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Ingest OpenLineage events (RunEvent, JobEvent, DatasetEvent) from files or stdin.

    Reads JSON (one event or an array) and JSON lines; a folder means every *.json, *.jsonl and
    *.ndjson in it. An event already recorded is not stored again. Rejected events are listed
    on stderr with their file and line; blank lines are skipped. Exit 0 when every event was
    stored or already there, 2 when some were rejected (with --strict: then nothing was
    stored) or there were no events. The store is created or written only if some event is
    valid.
    """
    from governance.audit import AuditStore
    from governance.lineage.ingest import Rejection, ingest
    from governance.store.engine import check_store_url

    def show(location: str, outcome: Rejection | str | None) -> None:
        if isinstance(outcome, Rejection):
            click.echo(f"Rejected: {location}: {outcome.reason}", err=True)
        elif outcome is not None:
            click.echo(f"Warning: {location}: {outcome}", err=True)

    url = resolve_store_url(config_file, store_url)
    check_store_url(url)
    with contextlib.ExitStack() as stack:

        def open_store() -> AuditStore:
            return stack.enter_context(AuditStore.open(url))

        report = ingest(open_store, sources, strict=strict, assume_utc=assume_utc, on_event=show)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        flagged = f", {len(report.assumed_utc)} with time zone assumed UTC"
        click.echo(
            f"Read {report.read} events: {report.stored} stored, {report.duplicates} already "
            f"recorded, {len(report.rejected)} rejected"
            + (flagged if report.assumed_utc else "")
            + (f" (log entries {report.first_seq}-{report.last_seq})" if report.stored else "")
        )
    failure = report.failure()  # the exit rule is the library's (IngestReport.failure)
    if failure is not None:
        raise failure
    return EXIT_OK


def _query(command: Callable[..., Any]) -> Callable[..., Any]:
    return store_option(config_option(command))


def _open(store_url: str | None, config_file: Path | None) -> Any:
    from governance.audit import AuditStore

    url = resolve_store_url(config_file, store_url)
    return AuditStore.open(url, create=False)


NODE_HELP = "NODE is dataset:<namespace>:<name> or job:<namespace>:<name>."


def _graph_command(name: str, direction: str, summary: str) -> click.Command:
    """The ``lineage NAME`` command: the graph ``direction`` of NODE, as ``--format`` says."""

    def command(
        node: str,
        depth: int,
        as_of: str | None,
        fmt: str,
        store_url: str | None,
        config_file: Path | None,
    ) -> int:
        from governance.lineage.render import render_graph

        with _open(store_url, config_file) as store:
            queries = store.lineage
            root = queries.resolve(node)
            graph = queries.traverse(
                root, direction, depth=depth, as_of=as_of, facets=fmt == "json"
            )
        click.echo(render_graph(graph, fmt), nl=False)
        return EXIT_OK

    command.__doc__ = f"{summary}\n\n{NODE_HELP}"
    options = _format_option(("text", "json", "dot", "mermaid"))(_query(command))
    return lineage.command(name)(click.argument("node")(_depth_option(_as_of_option(options))))


upstream = _graph_command(
    "upstream",
    "upstream",
    "Where NODE came from: the jobs that wrote it, what they read, and so on.",
)
downstream = _graph_command(
    "downstream",
    "downstream",
    "What NODE feeds: the jobs that read it, what they wrote, and so on.",
)
graph = _graph_command(
    "graph",
    "both",
    "The lineage graph around NODE, upstream and downstream (DOT and Mermaid to draw it).",
)


@lineage.command("history")
@click.argument("node")
@click.option("--since", type=TimeOption(), help="From TIME (a date means its start, UTC).")
@click.option(
    "--until", type=TimeOption(end_of_day=True), help="Up to TIME (a date means its end, UTC)."
)
@_format_option(("text", "json"))
@_query
def history(
    node: str,
    since: str | None,
    until: str | None,
    fmt: str,
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Runs of a job; or the versions, schema changes and runs of a dataset.

    NODE is dataset:<namespace>:<name> or job:<namespace>:<name>. Times are event times.
    """
    from governance.lineage.render import render_history

    if since is not None and until is not None and since > until:
        raise click.BadParameter("--since is after --until")
    with _open(store_url, config_file) as store:
        queries = store.lineage
        found = queries.history(queries.resolve(node), since=since, until=until)
    click.echo(render_history(found, fmt), nl=False)
    return EXIT_OK


@lineage.command("evaluations")
@click.argument("target", metavar="NODE|DIGEST")
@_format_option(("text", "json"))
@_query
def evaluations(target: str, fmt: str, store_url: str | None, config_file: Path | None) -> int:
    """The governance checks that read one file (a model, evaluation data), and no others.

    NODE is dataset:<namespace>:<name> (the file by that name, or by any digest it had);
    DIGEST is sha256:<hex> (any file with those bytes).
    """
    from governance.lineage.render import render_evaluations

    with _open(store_url, config_file) as store:
        found = store.lineage.evaluations(target)
    click.echo(render_evaluations(target, found, fmt), nl=False)
    return EXIT_OK


@lineage.command("run")
@click.argument("run_id")
@_format_option(("text", "json"))
@_query
def run(run_id: str, fmt: str, store_url: str | None, config_file: Path | None) -> int:
    """One run: its job, state, events, datasets, facets, parent and child runs."""
    from governance.lineage.render import render_run

    with _open(store_url, config_file) as store:
        detail = store.lineage.run(run_id)
    click.echo(render_run(detail, fmt), nl=False)
    return EXIT_OK


@lineage.command(
    "record", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": False}
)
@click.option("--job", required=True, help="The training job's name (e.g. credit-model.train).")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A training data file; repeatable. CSV and Parquet files get a schema facet.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A file the run writes (the model); repeatable. Recorded with its sha256.",
)
@click.option("--owner", help="Who owns the data and model (e.g. team:credit-ml).")
@click.option(
    "--code",
    type=click.Path(path_type=Path),
    help="The training script, for its git commit [default: the first file COMMAND names, "
    "else the working directory].",
)
@click.option("--description", help="What the job does.")
@click.option("--namespace", help="OpenLineage job namespace [default: governance].")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="[-- COMMAND...]")
@store_option
@config_option
def record(
    job: str,
    inputs: tuple[Path, ...],
    outputs: tuple[Path, ...],
    owner: str | None,
    code: Path | None,
    description: str | None,
    namespace: str | None,
    command: tuple[str, ...],
    store_url: str | None,
    config_file: Path | None,
) -> int:
    """Record a training run's OpenLineage START and COMPLETE (or FAIL) events.

    With COMMAND (after --), runs it between START and COMPLETE, or FAIL when it exits
    non-zero; the exit code is then the command's. Without COMMAND, records a run that just
    ended (both events now). The outputs are recorded with their sha256, which is how
    `governance check` finds the run that made the model; the job records the git commit of
    the checkout the code is in. Exit 2 when an input is missing (nothing is recorded) or an
    output was not written (a FAIL event is recorded).
    """
    import subprocess

    from governance.cli.options import settings
    from governance.lineage.training import TrainingRun
    from governance.store.engine import check_store_url
    from governance.training import append

    resolved = settings(config_file, store_url=store_url, namespace=namespace)
    url = resolved.store_url
    check_store_url(url)
    run = TrainingRun.begin(
        job,
        inputs=inputs,
        outputs=outputs,
        namespace=resolved.namespace,
        owner=owner,
        code=code if code is not None else _script(command),
        description=description,
    )
    receipt = {"via": "cli", "tool": {"name": "governance lineage record", "version": _version()}}
    if not command:
        complete = run.complete_event()  # every output must exist before anything is recorded
        append(url, run.start_event(), receipt)
        append(url, complete, receipt)
        _recorded(run, "COMPLETE")
        return EXIT_OK
    append(url, run.start_event(), receipt)
    try:
        returncode = subprocess.run(list(command), check=False).returncode  # noqa: S603
    except OSError as exc:
        append(url, run.fail_event(f"cannot run {command[0]}: {exc.strerror or exc}"), receipt)
        raise LineageError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        append(url, run.fail_event("interrupted"), receipt)
        raise
    if returncode != 0:
        append(url, run.fail_event(f"{command[0]} exited with {returncode}"), receipt)
        _recorded(run, "FAIL")
        return returncode if returncode > 0 else 128 - returncode
    missing = [path for path in run.outputs if not path.is_file()]
    if missing:
        append(url, run.fail_event(f"the run did not write {missing[0]}"), receipt)
        raise LineageError(
            "the run did not write this output file (FAIL recorded)", path=missing[0]
        )
    append(url, run.complete_event(), receipt)
    _recorded(run, "COMPLETE")
    return EXIT_OK


def _script(command: tuple[str, ...]) -> Path:
    """The first file among COMMAND's arguments (``python train.py``: train.py), else ``.``."""
    for argument in command:
        if not argument.startswith("-") and Path(argument).is_file():
            return Path(argument)
    return Path.cwd()


def _version() -> str:
    from governance._version import __version__

    return __version__


def _recorded(run: Any, state: str) -> None:
    commit = f", commit {run.code.commit[:12]}" if run.code is not None else ", no git commit found"
    click.echo(
        f"Recorded run {run.run_id} of {run.namespace}/{run.job}: START, {state} "
        f"(inputs: {len(run.inputs)}, outputs: {len(run.outputs)}{commit})",
        err=True,
    )
