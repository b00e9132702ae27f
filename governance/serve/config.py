"""What one ``governance serve`` process serves, and where it may listen."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from governance.config import RequiredPolicies, Settings
from governance.errors import ConfigError
from governance.serve.keys import KeyRing

__all__ = [
    "DEFAULT_MAX_BODY",
    "ServeConfig",
    "check_bind",
    "host_name",
    "is_loopback",
    "is_wildcard",
]

DEFAULT_MAX_BODY = 8 * 1024 * 1024
MIN_MAX_BODY = 1024

PUBLIC_WITHOUT_KEYS = (
    "refusing to listen on {host} without API keys: anyone who can reach it could read the "
    "audit trail and write to it"
)
PUBLIC_HINT = "create a key with `governance serve keys add --scope ingest --scope read`"
BAD_HOST = "{value!r} is not a host name or address (e.g. governance.internal, 10.0.0.5)"
ANY_HOST_WITHOUT_KEYS = (
    "refusing to answer any Host without API keys: a web page whose name is rebound to this "
    "address could read the audit trail and write to it"
)
NOT_A_FOLDER = "not a folder: --reports-dir names the folder reports are written to"
ANY_HOST = "*"
WILDCARDS = ("", "0.0.0.0", "::", "[::]")  # noqa: S104 - recognised, not bound


@dataclass(frozen=True)
class ServeConfig:
    """The store, keys and limits of one server.

    Attributes
    ----------
    store_url
        The audit store (opened once, when the server starts).
    keys
        Accepted API keys; empty means no authentication (loopback only).
    keys_file
        Where the keys came from, for messages.
    max_body
        Largest request body, in bytes, after decompression.
    assume_utc
        Accept events whose ``eventTime`` has no time zone, read as UTC.
    allowed_hosts
        Host names (or addresses) requests may be addressed to besides loopback ones
        (``localhost``, ``127.0.0.1``, ``[::1]``); ``*`` for any (only with API keys).
        Stored normalised (lower case, without brackets or a port).
    reports_dirs
        Folders whose PDF reports may be downloaded (made absolute; a link in a folder's own
        path is followed, none below it); none: downloads are off.
    required_policies
        The policies an evaluation must have applied for its verdict to be a model's latest
        (setting ``required_policies``); empty: the latest evaluation's verdict.
    approvals
        Who may approve and which roles are required (settings ``approvers``,
        ``approval_roles``, ``owner_may_approve``): an evaluation's page shows its approvals,
        verified; ``None``: it shows none.
    """

    store_url: str
    keys: KeyRing = field(default_factory=KeyRing)
    keys_file: Path | None = None
    max_body: int = DEFAULT_MAX_BODY
    assume_utc: bool = False
    allowed_hosts: tuple[str, ...] = ()
    reports_dirs: tuple[Path, ...] = ()
    required_policies: RequiredPolicies = field(default_factory=RequiredPolicies)
    approvals: Settings | None = None

    def __post_init__(self) -> None:
        from governance.store.engine import check_store_url

        check_store_url(self.store_url)  # a lasting SQLite or PostgreSQL store (StoreError)
        if self.max_body < MIN_MAX_BODY:
            raise ConfigError(f"the request size limit must be at least {MIN_MAX_BODY} bytes")
        hosts = []
        for value in self.allowed_hosts:
            name = ANY_HOST if value.strip() == ANY_HOST else host_name(value)
            if name is None:
                raise ConfigError(BAD_HOST.format(value=value), field="allowed host")
            hosts.append(name)
        if ANY_HOST in hosts and not self.keys:
            raise ConfigError(ANY_HOST_WITHOUT_KEYS, hint=PUBLIC_HINT)
        folders = []
        for folder in self.reports_dirs:
            given = Path(os.path.normpath(Path(folder).expanduser().absolute()))
            if not given.is_dir():
                raise ConfigError(NOT_A_FOLDER, path=folder)
            folders.append(given)
        object.__setattr__(self, "allowed_hosts", tuple(dict.fromkeys(hosts)))
        object.__setattr__(self, "reports_dirs", tuple(dict.fromkeys(folders)))

    def bound_to(self, host: str) -> ServeConfig:
        """The configuration for a server listening on ``host``, which it then answers to.

        A server bound to one address answers requests addressed to that address; one bound
        to every address (``0.0.0.0``, ``::``) only to loopback and configured names.
        """
        name = host_name(host)
        if name is None or is_wildcard(host) or is_loopback(name):
            return self
        return dataclasses.replace(self, allowed_hosts=(*self.allowed_hosts, name))

    def answers_to(self, host: str | None) -> bool:
        """Whether a request whose ``Host`` header is ``host`` is for this server.

        Loopback names and addresses always are; other names only if configured, so a web
        page whose name an attacker rebinds to 127.0.0.1 (DNS rebinding) is not answered.
        """
        name = host_name(host or "")
        if name is None:
            return False
        if is_loopback(name) or ANY_HOST in self.allowed_hosts:
            return True
        return name in self.allowed_hosts


def host_name(value: str) -> str | None:
    """The host of a ``Host`` header (``name``, ``name:port``, ``[v6]:port``), normalised.

    Returns
    -------
    str or None
        The name in lower case without a trailing dot, or the address without brackets;
        ``None`` if ``value`` is not a host (empty, a bad port, stray characters).
    """
    text = value.strip().lower()
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest[:1] == ":" and rest[1:].isdigit())):
            return None
        try:
            return str(ipaddress.IPv6Address(address))
        except ValueError:
            return None
    name, colon, port = text.partition(":")
    if colon and not port.isdigit():
        if text.count(":") > 1:  # a bare IPv6 address (as --allowed-host may give one)
            try:
                return str(ipaddress.IPv6Address(text))
            except ValueError:
                return None
        return None
    name = name.removesuffix(".")
    if not name or not _HOST_NAME.fullmatch(name):
        return None
    return name


_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*")


def is_wildcard(host: str) -> bool:
    """Whether binding ``host`` listens on every address (``0.0.0.0``, ``::``)."""
    return host.strip() in WILDCARDS


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys: KeyRing) -> None:
    """Refuse a non-loopback address when no API key is configured.

    Raises
    ------
    ConfigError
        If ``host`` is not loopback and ``keys`` is empty.
    """
    if not keys and not is_loopback(host):
        raise ConfigError(PUBLIC_WITHOUT_KEYS.format(host=host), hint=PUBLIC_HINT)
