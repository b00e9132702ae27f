"""Record a training run's OpenLineage events from the training script itself.

What the lineage-completeness pack (``policies/lineage-completeness.yaml``) looks for, without
hand-written events: a START event when training begins and a COMPLETE event (or FAIL, with the
error) when it ends, of the job ``<namespace>/<job>``, with

- inputs: the training data files (namespace ``file``, name the path from the top of the git
  checkout holding the training code, as ``governance check`` names the files it reads:
  :func:`governance.paths.portable_name`, never the absolute path), each with a
  ``schema`` facet (its columns and types, read from the header as ``governance check`` reads
  data; CSV and Parquet only), a ``version`` facet (its sha256), a ``datasetType`` of ``FILE``
  and, given an owner, an ``ownership`` facet;
- outputs: the model files, each with its sha256 as ``datasetVersion`` (which is how
  ``governance check`` finds the run that made the model it gates), a ``datasetType`` of
  ``MODEL``, its size, and the owner;
- the job's ``sourceCodeLocation``: the git commit of the checkout the training code is in
  (its remote URL without credentials, or the checkout's folder when it has no remote).

:func:`governance.training.record_training_run` appends them to the audit store, one append per
event, so a run that dies between them stays recorded as started.
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance._version import __version__
from governance.errors import LineageError
from governance.lineage import naming
from governance.lineage._record import utc_now
from governance.paths import portable_name, project_root

__all__ = ["CodeLocation", "TrainingRun", "git_location"]

DEFAULT_NAMESPACE = "governance"
JOB_INTEGRATION = "PYTHON"
GIT_TIMEOUT_SECONDS = 10

NO_INPUT = "training data file not found"
NO_OUTPUT = "the run did not write this output file"
NOT_A_FILE = "not a file"
BAD_JOB_NAME = "job name must be non-empty text without control characters"
NO_DATASETS = "a training run needs at least one input (training data) and one output (the model)"
FAILED = "{kind}: {message}"

_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^/].*)$")
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^@/]*@")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True)
class CodeLocation:
    """Where the training code is: a git checkout's remote (or folder), commit and path."""

    url: str
    commit: str
    path: str | None = None
    branch: str | None = None


def git_location(code: Path) -> CodeLocation | None:
    """The git commit of the checkout ``code`` is in, or None outside one (or without git).

    Parameters
    ----------
    code
        The training script, or a folder.

    Returns
    -------
    CodeLocation or None
        The remote ``origin`` without credentials (``https://token@host/...`` loses the token;
        ``git@host:org/repo`` becomes ``ssh://host/org/repo``), else ``file://`` and the
        checkout's folder; ``HEAD``'s commit; ``code``'s path in the checkout.
    """
    git = shutil.which("git")
    if git is None:
        return None
    folder = code if code.is_dir() else code.parent
    top = _git(git, folder, "rev-parse", "--show-toplevel")
    commit = _git(git, folder, "rev-parse", "HEAD")
    if top is None or commit is None or not _COMMIT.match(commit):
        return None
    remote = _git(git, folder, "remote", "get-url", "origin")
    url = clean_remote(remote) if remote else Path(top).resolve().as_uri()
    branch = _git(git, folder, "rev-parse", "--abbrev-ref", "HEAD")
    path = None
    if code.resolve() != Path(top).resolve():
        try:
            path = code.resolve().relative_to(Path(top).resolve()).as_posix()
        except ValueError:
            path = None
    return CodeLocation(
        url=url,
        commit=commit,
        path=path,
        branch=branch if branch and branch != "HEAD" else None,
    )


def clean_remote(remote: str) -> str:
    """A git remote as a URI without user name or password (a token must not reach the log).

    Parameters
    ----------
    remote
        ``git remote get-url`` output: a URL, or scp-like ``user@host:path``.

    Returns
    -------
    str
        ``scheme://host/path``.
    """
    remote = remote.strip()
    if "://" not in remote:
        found = _SCP_LIKE.match(remote)
        if found:
            return f"ssh://{found.group('host')}/{found.group('path')}"
        return Path(remote).resolve().as_uri()
    return _USERINFO.sub(r"\g<scheme>", remote)


def _git(git: str, folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - a fixed git command, no shell
            [git, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else None


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


@dataclass
class TrainingRun:
    """One training run: its id, job, datasets, and the events that record it.

    Build it with :meth:`begin` (which reads the inputs and the git commit), then take
    :meth:`start_event` and, once the outputs are written, :meth:`complete_event` (or
    :meth:`fail_event`).
    """

    job: str
    namespace: str
    inputs: tuple[Path, ...]
    outputs: tuple[Path, ...]
    run_id: str
    started_at: str
    owner: str | None = None
    description: str | None = None
    code: CodeLocation | None = None
    input_facets: list[dict[str, Any]] = field(default_factory=list)
    root: Path | None = None
    """What file names are relative to: the top of the checkout of the code (None: the cwd's)."""

    @classmethod
    def begin(
        cls,
        job: str,
        *,
        inputs: Sequence[str | Path],
        outputs: Sequence[str | Path],
        namespace: str = DEFAULT_NAMESPACE,
        owner: str | None = None,
        code: str | Path | None = None,
        description: str | None = None,
    ) -> TrainingRun:
        """Start a run now: check the inputs exist and read them, find the git commit.

        Parameters
        ----------
        job
            The job name (``credit-model.train``); with ``namespace``, the job's identity.
        inputs
            The training data files.
        outputs
            The files the run writes (the model); they need not exist yet.
        namespace
            The job namespace.
        owner
            Who owns the data and model (``team:credit-ml``, an e-mail): the ``ownership``
            facet the lineage pack asks for.
        code
            The training script (or its folder), for the git commit; None: the running script
            (``sys.argv[0]``) if it is a file, else the working directory.
        description
            What the job does, as its ``documentation`` facet.

        Returns
        -------
        TrainingRun
            The run, started.

        Raises
        ------
        LineageError
            If the job name is empty, there is no input or output, or an input is missing.
        """
        if not job.strip() or any(ord(c) < 32 for c in job):
            raise LineageError(BAD_JOB_NAME, field="job")
        if not inputs or not outputs:
            raise LineageError(NO_DATASETS)
        sources = tuple(Path(item) for item in inputs)
        for path in sources:
            if not path.exists():
                raise LineageError(NO_INPUT, path=path)
            if not path.is_file():
                raise LineageError(NOT_A_FILE, path=path)
        run = cls(
            job=job,
            namespace=namespace,
            inputs=sources,
            outputs=tuple(Path(item) for item in outputs),
            run_id=naming.new_run_id(),
            started_at=utc_now(),
            owner=owner,
            description=description,
            code=git_location(_code_path(code)),
            root=project_root(_folder(_code_path(code))),
        )
        run.input_facets = [run._input(path) for path in sources]
        return run

    def name(self, path: Path) -> str:
        """The dataset name of a file: relative to :attr:`root` (``governance check``'s names)."""
        return portable_name(path, self.root or project_root(Path.cwd()))

    @property
    def producer(self) -> str:
        """The producer URI: this version of governance."""
        return naming.producer(__version__)

    def start_event(self) -> dict[str, Any]:
        """The START event: the inputs with their facets, the outputs by name."""
        from openlineage.client.event_v2 import OutputDataset, RunState

        file = naming.FILE_NAMESPACE
        bare = [OutputDataset(namespace=file, name=self.name(p)) for p in self.outputs]
        return self._event(RunState.START, self.started_at, bare)

    def complete_event(self, time: str | None = None) -> dict[str, Any]:
        """The COMPLETE event: each output with its sha256, size and type.

        Raises
        ------
        LineageError
            If an output file was not written.
        """
        from openlineage.client.event_v2 import RunState

        for path in self.outputs:
            if not path.is_file():
                raise LineageError(NO_OUTPUT, path=path)
        return self._event(
            RunState.COMPLETE, time or utc_now(), [self._output(p) for p in self.outputs]
        )

    def fail_event(
        self, message: str, *, stack_trace: str | None = None, time: str | None = None
    ) -> dict[str, Any]:
        """The FAIL event, with the ``errorMessage`` run facet."""
        from openlineage.client.event_v2 import OutputDataset, RunState

        from governance.lineage.facets import error_message

        file = naming.FILE_NAMESPACE
        bare = [OutputDataset(namespace=file, name=self.name(p)) for p in self.outputs]
        return self._event(
            RunState.FAIL,
            time or utc_now(),
            bare,
            {"errorMessage": error_message(message, stack_trace, self.producer)},
        )

    def _event(
        self,
        state: Any,
        time: str,
        outputs: list[Any],
        run_facets: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent
        from openlineage.client.facet_v2 import processing_engine_run
        from openlineage.client.serde import Serde

        engine = processing_engine_run.ProcessingEngineRunFacet(
            version=platform.python_version(), name="python", producer=self.producer
        )
        event = RunEvent(
            eventType=state,
            eventTime=time,
            run=Run(runId=self.run_id, facets={"processing_engine": engine, **(run_facets or {})}),
            job=Job(namespace=self.namespace, name=self.job, facets=self._job_facets()),
            inputs=[
                InputDataset(namespace=naming.FILE_NAMESPACE, name=self.name(path), facets=facets)
                for path, facets in zip(self.inputs, self.input_facets, strict=True)
            ],
            outputs=outputs,
            producer=self.producer,
        )
        result: dict[str, Any] = Serde.to_dict(event)
        return result

    def _job_facets(self) -> dict[str, Any]:
        from openlineage.client.facet_v2 import (
            documentation_job,
            job_type_job,
            source_code_location_job,
        )

        facets: dict[str, Any] = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH",
                integration=JOB_INTEGRATION,
                jobType="JOB",
                producer=self.producer,
            )
        }
        if self.code is not None:
            facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
                type="git",
                url=self.code.url,
                repoUrl=self.code.url,
                path=self.code.path,
                version=self.code.commit,
                branch=self.code.branch,
                producer=self.producer,
            )
        if self.description:
            facets["documentation"] = documentation_job.DocumentationJobFacet(
                description=self.description, producer=self.producer
            )
        return facets

    def _ownership(self) -> dict[str, Any]:
        from openlineage.client.facet_v2 import ownership_dataset

        if not self.owner:
            return {}
        return {
            "ownership": ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name=self.owner, type="MAINTAINER")],
                producer=self.producer,
            )
        }

    def _input(self, path: Path) -> dict[str, Any]:
        from openlineage.client.facet_v2 import (
            dataset_type_dataset,
            dataset_version_dataset,
            schema_dataset,
        )

        facets: dict[str, Any] = {
            "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
                datasetType="FILE", producer=self.producer
            ),
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=file_digest(path), producer=self.producer
            ),
            **self._ownership(),
        }
        columns = table_columns(path)
        if columns is not None:
            facets["schema"] = schema_dataset.SchemaDatasetFacet(
                fields=[
                    schema_dataset.SchemaDatasetFacetFields(name=name, type=kind)
                    for name, kind in columns
                ],
                producer=self.producer,
            )
        return facets

    def _output(self, path: Path) -> Any:
        from openlineage.client.event_v2 import OutputDataset
        from openlineage.client.facet_v2 import (
            dataset_type_dataset,
            dataset_version_dataset,
            output_statistics_output_dataset,
        )

        return OutputDataset(
            namespace=naming.FILE_NAMESPACE,
            name=self.name(path),
            facets={
                "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
                    datasetType="MODEL", producer=self.producer
                ),
                "version": dataset_version_dataset.DatasetVersionDatasetFacet(
                    datasetVersion=file_digest(path), producer=self.producer
                ),
                **self._ownership(),
            },
            outputFacets={
                "outputStatistics": (
                    output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                        size=path.stat().st_size, producer=self.producer
                    )
                )
            },
        )


def table_columns(path: Path) -> list[tuple[str, str]] | None:
    """Column names and types of a CSV or Parquet file (as ``check`` reads it), else None.

    Raises
    ------
    DataError
        If the file is CSV or Parquet by its name but cannot be read.
    """
    from governance.data import open_data_file, suffix_format

    if suffix_format(path) is None:
        return None
    schema = open_data_file(path).schema
    return [(str(item.name), str(item.type)) for item in schema]


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _code_path(code: str | Path | None) -> Path:
    if code is not None:
        return Path(code)
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.is_file():
        return script
    return Path.cwd()
