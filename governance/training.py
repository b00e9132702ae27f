"""Record a training run in the audit store, from the training script itself.

The run's events are :class:`~governance.lineage.training.TrainingRun`'s (what the
lineage-completeness pack looks for); this module appends them as the training goes, one append
per event, so a run that dies between them stays recorded as started.

    from governance import record_training_run

    with record_training_run("credit.train", inputs=["train.csv"], outputs=["model.skops"]):
        model.fit(...)
        skops.io.dump(model, "model.skops")
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from governance.audit import open_store
from governance.errors import LineageError
from governance.lineage.recording import append_events
from governance.lineage.training import DEFAULT_NAMESPACE, FAILED, NO_OUTPUT, TrainingRun
from governance.store.log import AuditLog

__all__ = ["append", "record_training_run"]


def append(store: str | AuditLog, event: dict[str, Any], receipt: dict[str, Any] | None) -> None:
    """Append one event to ``store`` (a URL is opened for this append only)."""
    if isinstance(store, AuditLog):
        append_events(store, [event], receipt=receipt)
        return
    with open_store(store) as opened:
        append_events(opened, [event], receipt=receipt)


@contextmanager
def record_training_run(
    job: str,
    *,
    inputs: Sequence[str | Path],
    outputs: Sequence[str | Path],
    store: str | AuditLog | None = None,
    namespace: str = DEFAULT_NAMESPACE,
    owner: str | None = None,
    code: str | Path | None = None,
    description: str | None = None,
    receipt: dict[str, Any] | None = None,
) -> Iterator[TrainingRun]:
    """Record the training done in the ``with`` block as one OpenLineage run.

    START is appended on entry; on a normal exit COMPLETE, with each output's sha256 (an output
    not written is a FAIL and a LineageError); on an exception FAIL, with its message and
    traceback, and the exception goes on.

    Parameters
    ----------
    job
        The job name.
    inputs, outputs
        The training data files; the files the block writes (the model).
    store
        An open AuditStore or a store URL; None: the configured one (``--store``'s
        default: GOVERNANCE_STORE_URL, governance.yml, ``.governance/audit.db``).
    namespace, owner, code, description
        As :meth:`~governance.lineage.training.TrainingRun.begin`.
    receipt
        Who delivered the events, recorded with each
        (:func:`governance.lineage.recording.append_events`).

    Yields
    ------
    TrainingRun
        The run (its ``run_id`` is the OpenLineage run id).

    Raises
    ------
    LineageError
        As :meth:`~governance.lineage.training.TrainingRun.begin`, or when an output was not
        written.
    StoreError
        If the store cannot be opened or written.
    """
    target = store if store is not None else _configured_store()
    run = TrainingRun.begin(
        job,
        inputs=inputs,
        outputs=outputs,
        namespace=namespace,
        owner=owner,
        code=code,
        description=description,
    )
    append(target, run.start_event(), receipt)
    try:
        yield run
    except BaseException as exc:
        message = FAILED.format(kind=type(exc).__name__, message=exc)
        append(target, run.fail_event(message, stack_trace=traceback.format_exc()), receipt)
        raise
    missing = [path for path in run.outputs if not path.is_file()]
    if missing:
        append(target, run.fail_event(f"{NO_OUTPUT}: {missing[0]}"), receipt)
        raise LineageError(NO_OUTPUT, path=missing[0])
    append(target, run.complete_event(), receipt)


def _configured_store() -> str:
    from governance.config import load_settings

    return load_settings().store_url
