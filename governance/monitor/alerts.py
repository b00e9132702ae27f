"""Alerts: one per rule that starts failing, posted to a webhook once, remembered in the store.

A rule *starts failing* in a window when it blocks there and did not block in the window
before (the first window of the run counts as following a passing one). Each such incident is
one alert, whatever the number of windows it lasts or of runs that see it: its key (baseline,
policy, rule, first failing window) is recorded as a ``monitor.alert`` entry once the webhook
has taken it, and a key already recorded is not sent again. An alert the webhook refuses is
reported and not recorded, so the next run sends it again. The webhook's URL is never recorded
(it often holds a secret token).

The POST body is JSON with a Slack-compatible ``text`` field and the incident's fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from governance.errors import InputError

if TYPE_CHECKING:
    from governance.audit import AuditStore
    from governance.manifest import Manifest
    from governance.monitor.run import WindowSummary

ALERT_KIND = "monitor.alert"
TIMEOUT_SECONDS = 10
NOT_A_WEBHOOK = "webhook must be an http or https URL, found {value!r}"
NOT_DELIVERED = "alert for {rule} (window {start}) not delivered to the webhook: {reason}"
TEXT = (
    ":rotating_light: governance monitor: {model} {version}: rule {rule} ({severity}) started "
    "failing in the window {start} .. {end}: {message} (evaluation {evaluation_id})"
)


def check_webhook(url: str | None) -> None:
    """An http(s) URL with a host, or an InputError (exit 2) before anything runs."""
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(NOT_A_WEBHOOK.format(value=_masked(url)), field="webhook")


def _masked(url: str) -> str:
    """The URL without its path and query, which may hold a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..." if parts.netloc else url[:20]


@dataclass(frozen=True)
class Alert:
    """A rule that started failing in a window."""

    key: str
    baseline: str
    model: str
    version: str
    policy: str
    rule_id: str
    severity: str
    window_start: str
    window_end: str
    evaluation_id: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """As recorded (``monitor.alert``) and posted, without the ``text``."""
        return {
            "key": self.key,
            "baseline": self.baseline,
            "model": self.model,
            "version": self.version,
            "policy": self.policy,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "evaluation_id": self.evaluation_id,
            "message": self.message,
        }

    def body(self) -> dict[str, Any]:
        """The webhook's JSON: a Slack-compatible ``text`` and the fields."""
        text = TEXT.format(
            model=self.model,
            version=self.version,
            rule=f"{self.policy}/{self.rule_id}",
            severity=self.severity,
            start=self.window_start,
            end=self.window_end,
            message=self.message,
            evaluation_id=self.evaluation_id,
        )
        return {"text": text, **self.as_dict()}


def alert_key(baseline: str, policy: str, rule_id: str, window_start: str) -> str:
    """sha256 naming an incident: the baseline, the rule and the first window it failed in."""
    text = json.dumps([baseline, policy, rule_id, window_start])
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def incidents(
    manifest: Manifest,
    baseline: str,
    windows: Sequence[WindowSummary],
    records: Mapping[str, Mapping[str, Any]],
) -> list[Alert]:
    """The rules that start failing, window by window (``windows`` in time order)."""
    by_id = {record["evaluation_id"]: record for record in records.values()}
    found: list[Alert] = []
    before: set[str] = set()
    for window in windows:
        now = set(window.failing)
        record = by_id.get(window.evaluation_id, {})
        findings = {f"{f['policy']}/{f['rule_id']}": f for f in record.get("findings", [])}
        for name in sorted(now - before):
            finding = findings.get(name, {})
            policy, _, rule_id = name.partition("/")
            found.append(
                Alert(
                    key=alert_key(baseline, policy, rule_id, window.start),
                    baseline=baseline,
                    model=manifest.name,
                    version=manifest.version,
                    policy=policy,
                    rule_id=rule_id,
                    severity=str(finding.get("severity", "")),
                    window_start=window.start,
                    window_end=window.end,
                    evaluation_id=window.evaluation_id,
                    message=str(finding.get("message", "")),
                )
            )
        before = now
    return found


def post_json(url: str, body: dict[str, Any]) -> None:
    """POST ``body`` as JSON; anything but a 2xx answer raises OSError (or a subclass)."""
    from urllib.request import Request, urlopen

    data = json.dumps(body).encode("utf-8")
    request = Request(  # noqa: S310 - the scheme is checked to be http(s) by check_webhook
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
        if not 200 <= answer.status < 300:
            raise OSError(f"HTTP {answer.status}")


def send_alerts(
    store: AuditStore,
    found: Sequence[Alert],
    alerted: set[str],
    webhook: str | None,
    post: Callable[[str, dict[str, Any]], None] | None,
    clock: Callable[[], str],
) -> tuple[list[Alert], tuple[str, ...]]:
    """Post each incident not alerted yet and record it; return those sent and the failures.

    Without a webhook nothing is sent or recorded: the incidents are returned as they are.
    """
    fresh = [alert for alert in found if alert.key not in alerted]
    if webhook is None:
        return fresh, ()
    send = post or post_json
    sent: list[Alert] = []
    failures: list[str] = []
    for alert in fresh:
        try:
            send(webhook, alert.body())
        except OSError as exc:
            reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
            failures.append(
                NOT_DELIVERED.format(
                    rule=f"{alert.policy}/{alert.rule_id}", start=alert.window_start, reason=reason
                )
            )
            continue
        store.append(ALERT_KIND, {**alert.as_dict(), "sent_at": clock()})
        alerted.add(alert.key)
        sent.append(alert)
    return sent, tuple(failures)
