"""Forward the gate's OpenLineage events to the transports openlineage-python is configured with.

The audit store is the record; forwarding is a copy for other systems (Marquez, DataHub, a Kafka
topic, files). The gate appends its events to the store first, then forwards them: a transport
that fails is reported (and the failure recorded in the log) but never loses the local record.

A transport that cannot even be built from its configuration (unknown type, missing URL, bad
option) is found before the check writes anything: :meth:`Forwarder.create` raises
:class:`~governance.errors.LineageError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from governance.errors import LineageError
from governance.store.url import mask_url

if TYPE_CHECKING:
    from openlineage.client.transport import Transport

    from governance.config import OpenLineageSink

__all__ = ["FORWARD_FAILED_KIND", "ForwardFailure", "Forwarder", "client_event"]

FORWARD_FAILED_KIND = "openlineage.forward_failed"
MISCONFIGURED = "OpenLineage transport (from {source}) cannot be set up: {reason}"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")


@dataclass(frozen=True)
class ForwardFailure:
    """Events one transport did not accept."""

    transport: str
    run_ids: tuple[str, ...]
    event_types: tuple[str, ...]
    error: str

    @property
    def message(self) -> str:
        """One line for the user."""
        events = ", ".join(self.event_types)
        return (
            f"OpenLineage forwarding to {self.transport} failed ({events} of run "
            f"{', '.join(self.run_ids)}): {self.error}; the events are in the audit store"
        )

    def as_payload(self) -> dict[str, Any]:
        """The ``openlineage.forward_failed`` log entry for this failure."""
        return {
            "transport": self.transport,
            "run_ids": list(self.run_ids),
            "event_types": list(self.event_types),
            "error": self.error,
        }


class Forwarder:
    """The configured transports, ready to receive events."""

    def __init__(self, transport: Transport, source: str) -> None:
        self._transport = transport
        self.source = source

    @classmethod
    def create(cls, sink: OpenLineageSink | None) -> Forwarder | None:
        """Build the transport of ``sink`` (``governance.config.openlineage_sink()``).

        Returns
        -------
        Forwarder or None
            ``None`` when no transport is configured.

        Raises
        ------
        LineageError
            If the transport cannot be built from its configuration.
        """
        if sink is None:
            return None
        import copy
        import logging

        from openlineage.client.transport import get_default_factory

        # openlineage-python logs its failures as warnings; ours carry the reason already.
        client_log = logging.getLogger("openlineage.client")
        if not any(isinstance(h, logging.NullHandler) for h in client_log.handlers):
            client_log.addHandler(logging.NullHandler())
        factory = get_default_factory()
        kind = str(sink.transport.get("type"))
        known = sorted(getattr(factory, "transports", {}))
        if known and kind not in known and "." not in kind:
            raise LineageError(
                MISCONFIGURED.format(
                    source=sink.source,
                    reason=f"unknown transport type {kind!r} (known: {', '.join(known)})",
                )
            )
        try:
            transport = factory.create(copy.deepcopy(dict(sink.transport)))
        except Exception as exc:  # the factory raises anything from KeyError to ImportError
            raise LineageError(
                MISCONFIGURED.format(source=sink.source, reason=_reason(exc))
            ) from None
        return cls(transport, sink.source)

    def forward(self, events: Sequence[Mapping[str, Any]]) -> list[ForwardFailure]:
        """Send events to every configured transport; return the failures (never raise).

        A composite transport is sent to member by member so each failure is reported; its
        ``continue_on_failure`` and ``continue_on_success`` options are honoured.

        Parameters
        ----------
        events
            RunEvents as JSON objects, in order.

        Returns
        -------
        list of ForwardFailure
            One per transport that failed (empty when all succeeded).
        """
        if not events:
            return []
        run_ids = tuple(dict.fromkeys(str(e.get("run", {}).get("runId")) for e in events))
        types = tuple(str(e.get("eventType")) for e in events)
        failures = []
        for transport in self._members():
            error = _emit(transport, events)
            if error is not None:
                failures.append(ForwardFailure(_describe(transport), run_ids, types, error))
                if not self._continue_on_failure():
                    break
            elif not self._continue_on_success():
                break
        return failures

    def _members(self) -> list[Transport]:
        if self._transport.kind == "composite":
            return list(getattr(self._transport, "transports", []))
        return [self._transport]

    def _continue_on_failure(self) -> bool:
        config = getattr(self._transport, "config", None)
        return bool(getattr(config, "continue_on_failure", True))

    def _continue_on_success(self) -> bool:
        config = getattr(self._transport, "config", None)
        return bool(getattr(config, "continue_on_success", True))


def client_event(event: Mapping[str, Any]) -> Any:
    """Turn a RunEvent dict into openlineage-python's ``event_v2.RunEvent``.

    Transports that look inside events (Kafka picks its message key from the job) need the
    class; facets stay plain dicts, which serialise unchanged, so ``Serde.to_dict`` of the
    result equals the input (its ``schemaURL`` is the client's, 2-0-2, as the gate writes).
    """
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )

    run = event["run"]
    job = event["job"]
    kind = event.get("eventType")
    return RunEvent(
        eventType=None if kind is None else RunState(kind),
        eventTime=event["eventTime"],
        run=Run(runId=run["runId"], facets=run.get("facets") or {}),
        job=Job(namespace=job["namespace"], name=job["name"], facets=job.get("facets") or {}),
        inputs=[
            InputDataset(
                namespace=item["namespace"],
                name=item["name"],
                facets=item.get("facets") or {},
                inputFacets=item.get("inputFacets") or {},
            )
            for item in event.get("inputs") or []
        ],
        outputs=[
            OutputDataset(
                namespace=item["namespace"],
                name=item["name"],
                facets=item.get("facets") or {},
                outputFacets=item.get("outputFacets") or {},
            )
            for item in event.get("outputs") or []
        ],
        producer=event["producer"],
    )


def _emit(transport: Transport, events: Sequence[Mapping[str, Any]]) -> str | None:
    """Emit every event through one transport, then close it; return the first error."""
    try:
        for event in events:
            transport.emit(client_event(event))
        if transport.close(timeout=10.0) is False:
            return "not every event was delivered before the transport closed"
    except Exception as exc:  # a transport may raise anything; it must not stop the gate
        return _reason(exc)
    return None


def _describe(transport: Transport) -> str:
    name = getattr(transport, "name", None)
    kind = transport.kind or type(transport).__name__
    return f"{kind} transport {name!r}" if name else f"{kind} transport"


def _reason(exc: BaseException) -> str:
    """The first line of an error, with any password in a URL masked."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if not text or text == "None":
        text = type(exc).__name__
    return _URL.sub(lambda match: mask_url(match.group(0)), text)
