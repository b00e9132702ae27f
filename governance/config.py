"""Typed settings, resolved once with the precedence CLI flag > GOVERNANCE_* env > file > default.

The file is ``governance.yml`` in the working directory, or the one named by ``--config`` /
``GOVERNANCE_CONFIG``. Every value is parsed and checked here, when the settings load: a bad one
is a one-line :class:`~governance.errors.ConfigError` (exit 2) naming the setting and where it
came from, before any command does anything. Consumers read typed attributes of
:class:`Settings`. See ``docs/configuration.md``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.approval_settings import (
    Approver,
    RequiredRoles,
    parse_approval_roles,
    parse_approvers,
    parse_flag,
)
from governance.errors import ConfigError
from governance.yaml_source import LocatedDict, load_yaml_text, position_of, read_text

CONFIG_FILE = "governance.yml"
CONFIG_ENV = "GOVERNANCE_CONFIG"
DEFAULT_STORE_URL = "sqlite:///.governance/audit.db"
DEFAULT_CEL_BUDGET_SECONDS = 5.0
DEFAULT_REPORT_MAX_SECONDS = 120.0
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info")

BAD_VALUE = "{name} must be {wanted}, found {text!r} (from {source})"
"""A value a setting cannot take; ``source`` is ``flag``, the variable, or ``file:line``."""
UNKNOWN_SETTING = "unknown setting {key!r} (known: {known})"
ENV_ONLY_IN_FILE = "{key} is a secret: set it in the environment ({env}), not in a file"
BOOLEAN_IN_FILE = "must be text or a number, found the boolean {value} (quote it to mean the text)"
NOT_ONE_VALUE = "{key} must be a single value"
NOT_A_MAPPING = "expected one mapping of settings"

SECONDS = "a positive number of seconds"
POSITIVE_INTEGER = "a positive integer"
PORT = "a port number (0 to 65535)"
SIZE = "a size in bytes (e.g. 8388608, 512k, 8M)"

RISK_TIERS = ("minimal", "limited", "high", "unacceptable")
"""The manifest's ``metadata.risk_tier`` values (``governance.manifest.RiskTier``)."""
EVERY_TIER = "all"
PACK_PREFIX = "pack:"
REQUIRED_SHAPE = (
    "a list of policy names (pack:NAME for a shipped pack), or a mapping of "
    f"{EVERY_TIER} or a risk tier ({', '.join(RISK_TIERS)}) to such lists"
)
UNKNOWN_REQUIRED_PACK = "names {ref}, which is not a shipped pack (shipped: {packs})"
"""A ``pack:NAME`` in ``required_policies`` that no shipped pack has."""
STRUCTURED_IN_FILE = {"required_policies", "approvers", "approval_roles"}
"""Settings whose value in governance.yml may be a list or mapping (read as JSON text)."""
BOOLEAN_SETTINGS = {"owner_may_approve"}
"""Settings whose value in governance.yml may be a YAML boolean."""


def policy_name(ref: str) -> str:
    """The policy name a requirement matches: ``pack:NAME`` -> ``NAME`` (a pack's name)."""
    return ref.removeprefix(PACK_PREFIX)


@dataclass(frozen=True)
class RequiredPolicies:
    """The policies a check must apply: for every model, and per manifest risk tier.

    Matched by policy name (``metadata.name``); ``pack:NAME`` is the shipped pack ``NAME``.
    Empty (the default): nothing is required.
    """

    by_tier: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(tier, names)`` pairs; the tier ``all`` applies to every model."""

    def __bool__(self) -> bool:
        return any(names for _, names in self.by_tier)

    def for_tier(self, risk_tier: str | None) -> tuple[str, ...]:
        """The requirements of a model of ``risk_tier``: those of ``all``, then the tier's."""
        found = [
            ref for tier, names in self.by_tier if tier in (EVERY_TIER, risk_tier) for ref in names
        ]
        return tuple(dict.fromkeys(found))

    def missing(self, risk_tier: str | None, applied: Iterable[str]) -> tuple[str, ...]:
        """The requirements of ``risk_tier`` that no name in ``applied`` matches."""
        names = set(applied)
        return tuple(
            ref
            for ref in self.for_tier(risk_tier)
            if (ref if ref.startswith(PACK_PREFIX) else policy_name(ref)) not in names
        )


@dataclass(frozen=True)
class Settings:
    """Every setting, parsed and checked, and where each value came from.

    The attribute defaults are the settings' defaults: ``Settings()`` is what a command gets
    with no flag, variable or file. :func:`load_settings` builds the resolved one.
    """

    store_url: str = DEFAULT_STORE_URL
    namespace: str = "governance"
    signing_key: Path | None = None
    signing_cert: Path | None = None
    signing_pkcs12: Path | None = None
    signing_chain: tuple[Path, ...] = ()
    signing_passphrase: str | None = field(default=None, repr=False)
    tsa_url: str | None = None
    fail_on: str = "high"
    explain_rows: int | None = None
    """None: the explainer's default (docs/explainability.md)."""
    explain_background: int | None = None
    explain_max_seconds: float | None = None
    cel_budget_seconds: float = DEFAULT_CEL_BUDGET_SECONDS
    report_max_seconds: float = DEFAULT_REPORT_MAX_SECONDS
    serve_host: str = "127.0.0.1"
    serve_port: int = 5000
    serve_keys_file: Path = Path(".governance/serve-keys.json")
    serve_max_body: int = 8 * 1024 * 1024
    serve_allowed_hosts: tuple[str, ...] = ()
    serve_reports_dirs: tuple[Path, ...] = ()
    required_policies: RequiredPolicies = RequiredPolicies()
    """Policies every check must apply (docs/configuration.md#required-policies)."""
    spark_master: str | None = None
    """The spark engine's master URL, or ``sc://host:port`` for Spark Connect; None: local[2]."""
    spark_conf: tuple[tuple[str, str], ...] = ()
    mlflow_tracking_uri: str | None = None
    """The MLflow tracking server of ``model.uri``; None: ``$MLFLOW_TRACKING_URI``."""
    approvers: tuple[Approver, ...] = ()
    """Who may approve evaluations, with which key and in which roles (docs/approvals.md)."""
    approval_roles: RequiredRoles = RequiredRoles()  # noqa: RUF009 - frozen, hashable
    """The roles that must approve an evaluation, per risk tier."""
    owner_may_approve: bool = False
    """Whether the model's owner (``metadata.owner``) may approve its evaluations."""
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Where each value came from: ``flag``, an environment variable, ``file:line``, ``default``."""

    def source(self, name: str) -> str:
        """Where the value of ``name`` came from (``default`` when nothing set it)."""
        return self.sources.get(name, "default")


class _Refused(ValueError):
    """A text a setting cannot take; the argument says what it must be."""


class _Invalid(ValueError):
    """A value of the right shape that names something wrong; the argument says what."""


def _text(wanted: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text.strip():
            raise _Refused(wanted)
        return text

    return parse


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise _Refused(f"one of {', '.join(choices)}")
        return text

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except (ValueError, OverflowError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):  # nan, inf, 1e400, 0, -1
        raise _Refused(SECONDS)
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise _Refused(POSITIVE_INTEGER)
    return value


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise _Refused(PORT)
    return int(text)


def parse_size(text: str) -> int:
    """Read ``8388608``, ``512k`` or ``8M`` (binary multiples) as bytes.

    Raises
    ------
    ValueError
        If ``text`` is not such a size.
    """
    lowered = text.strip().lower().removesuffix("b").removesuffix("i")
    factor = {"k": 1024, "m": 1024**2, "g": 1024**3}.get(lowered[-1:], 1)
    number = lowered[:-1] if factor > 1 else lowered
    if not number.isdigit():
        raise _Refused(SIZE)
    return int(number) * factor


def _required_policies(text: str) -> RequiredPolicies:
    """``pack:a,b`` (every model), or JSON: a list, or a mapping of tier to list."""
    stripped = text.strip()
    try:
        value = json.loads(stripped) if stripped[:1] in ("[", "{") else stripped.split(",")
    except ValueError:
        raise _Refused(REQUIRED_SHAPE) from None
    if isinstance(value, list):
        value = {EVERY_TIER: value}
    if not isinstance(value, dict):
        raise _Refused(REQUIRED_SHAPE)
    pairs = []
    for tier, names in value.items():
        names = [names] if isinstance(names, str) else names
        if tier not in (EVERY_TIER, *RISK_TIERS) or not isinstance(names, list):
            raise _Refused(REQUIRED_SHAPE)
        if not all(isinstance(name, str) for name in names):
            raise _Refused(REQUIRED_SHAPE)
        refs = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
        for ref in refs:
            if ref.startswith(PACK_PREFIX) and policy_name(ref) not in _pack_names():
                packs = ", ".join(sorted(_pack_names()))
                raise _Invalid(UNKNOWN_REQUIRED_PACK.format(ref=ref, packs=packs))
        pairs.append((tier, refs))
    return RequiredPolicies(tuple(pairs))


def _pack_names() -> set[str]:
    from governance.resources import packs_dir

    return {
        path.name.removesuffix(path.suffix)
        for path in packs_dir().iterdir()
        if path.suffix in (".yaml", ".yml") and ".test." not in path.name
    }


def _refusing(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse``, its ValueError's text saying what the value must be."""

    def wrapped(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise _Refused(str(exc)) from None

    return wrapped


def _path(text: str) -> Path:
    return Path(text)


def _split(separator: str, kind: Callable[[str], Any]) -> Callable[[str], tuple[Any, ...]]:
    def parse(text: str) -> tuple[Any, ...]:
        return tuple(kind(part.strip()) for part in text.split(separator) if part.strip())

    return parse


@dataclass(frozen=True)
class Setting:
    """A setting: its name in governance.yml, its environment variable, parser and help.

    Its default is the default of the :class:`Settings` attribute of the same name.
    """

    name: str
    env: str
    help: str
    parse: Callable[[str], Any]
    """Text to value; raises ValueError (saying what the value must be) for a bad one."""
    secret: bool = False
    """A secret is read from its environment variable only, never from a file or a flag."""

    @property
    def default(self) -> Any:
        """The value when no flag, variable or file sets it."""
        return _DEFAULTS[self.name]


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs = [part.strip().partition("=") for part in text.split(",") if part.strip()]
    if any(not key.strip() or not sep for key, sep, _ in pairs):
        raise _Refused("key=value pairs separated by commas")
    return tuple((key.strip(), value.strip()) for key, _, value in pairs)


SETTINGS: tuple[Setting, ...] = (
    Setting("store_url", "GOVERNANCE_STORE_URL", "audit store URL", _text("an audit store URL")),
    Setting("namespace", "GOVERNANCE_NAMESPACE", "OpenLineage job namespace", _text("a name")),
    Setting("signing_key", "GOVERNANCE_SIGNING_KEY", "PEM private key for reports", _path),
    Setting("signing_cert", "GOVERNANCE_SIGNING_CERT", "PEM certificate of that key", _path),
    Setting(
        "signing_pkcs12", "GOVERNANCE_SIGNING_PKCS12", "PKCS#12 file: key, cert and chain", _path
    ),
    Setting(
        "signing_chain",
        "GOVERNANCE_SIGNING_CHAIN",
        "intermediate certificates to embed (paths separated by the OS path separator)",
        _split(os.pathsep, Path),
    ),
    Setting(
        "signing_passphrase",
        "GOVERNANCE_SIGNING_PASSPHRASE",
        "passphrase of the signing key or PKCS#12 file",
        str,
        secret=True,
    ),
    Setting("tsa_url", "GOVERNANCE_TSA_URL", "RFC 3161 timestamp authority for reports", str),
    Setting(
        "fail_on",
        "GOVERNANCE_FAIL_ON",
        "lowest severity whose failure blocks",
        _choice(SEVERITY_CHOICES),
    ),
    Setting("explain_rows", "GOVERNANCE_EXPLAIN_ROWS", "rows explained with SHAP", _positive_int),
    Setting(
        "explain_background",
        "GOVERNANCE_EXPLAIN_BACKGROUND",
        "SHAP background rows",
        _positive_int,
    ),
    Setting("explain_max_seconds", "GOVERNANCE_EXPLAIN_MAX_SECONDS", "SHAP time budget", _seconds),
    Setting(
        "cel_budget_seconds",
        "GOVERNANCE_CEL_BUDGET_SECONDS",
        "time budget of one evaluation of a policy's CEL expression, in seconds",
        _seconds,
    ),
    Setting(
        "report_max_seconds",
        "GOVERNANCE_REPORT_MAX_SECONDS",
        "time budget of rendering and laying out one report, in seconds",
        _seconds,
    ),
    Setting(
        "serve_host",
        "GOVERNANCE_SERVE_HOST",
        "address governance serve binds",
        _text("an address"),
    ),
    Setting("serve_port", "GOVERNANCE_SERVE_PORT", "port governance serve listens on", _port),
    Setting(
        "serve_keys_file",
        "GOVERNANCE_SERVE_KEYS_FILE",
        "API keys of governance serve (hashed)",
        lambda text: Path(_text("a file name")(text)),
    ),
    Setting(
        "serve_max_body",
        "GOVERNANCE_SERVE_MAX_BODY",
        "largest request body governance serve accepts, in bytes",
        parse_size,
    ),
    Setting(
        "serve_allowed_hosts",
        "GOVERNANCE_SERVE_ALLOWED_HOSTS",
        "host names governance serve answers to besides loopback ones (separated by commas)",
        _split(",", str),
    ),
    Setting(
        "serve_reports_dirs",
        "GOVERNANCE_SERVE_REPORTS_DIRS",
        "folders whose reports governance serve lets clients download (separated by the OS "
        "path separator); none: downloads are off",
        _split(os.pathsep, Path),
    ),
    Setting(
        "required_policies",
        "GOVERNANCE_REQUIRED_POLICIES",
        "policies every check must apply: names (pack:NAME for a shipped pack) for every model, "
        "or by the manifest's risk tier",
        _required_policies,
    ),
    Setting("spark_master", "GOVERNANCE_SPARK_MASTER", "spark engine: master URL or sc://", str),
    Setting("spark_conf", "GOVERNANCE_SPARK_CONF", "spark engine: key=value,... conf", _pairs),
    Setting(
        "mlflow_tracking_uri",
        "GOVERNANCE_MLFLOW_TRACKING_URI",
        "MLflow tracking server of model.uri (default: $MLFLOW_TRACKING_URI)",
        str,
    ),
    Setting(
        "approvers",
        "GOVERNANCE_APPROVERS",
        "who may approve: name -> key (public key file or key id) and roles",
        _refusing(parse_approvers),
    ),
    Setting(
        "approval_roles",
        "GOVERNANCE_APPROVAL_ROLES",
        "roles that must approve an evaluation, for every model or by risk tier",
        _refusing(parse_approval_roles),
    ),
    Setting(
        "owner_may_approve",
        "GOVERNANCE_OWNER_MAY_APPROVE",
        "whether a model's owner may approve its evaluations",
        _refusing(parse_flag),
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
_DEFAULTS: dict[str, Any] = {
    item.name: item.default for item in dataclasses.fields(Settings) if item.name != "sources"
}
assert set(_DEFAULTS) == set(SETTINGS_BY_NAME), "every setting is an attribute of Settings"


def _read_file(path: Path) -> dict[str, tuple[str | None, int | None]]:
    """The settings of ``path``: each value as text, with its line."""
    text = read_text(path, ConfigError, "configuration file")
    documents = [doc for doc in load_yaml_text(text, path, ConfigError) if doc is not None]
    if not documents:
        return {}
    document = documents[0]
    if len(documents) > 1 or not isinstance(document, LocatedDict):
        raise ConfigError(NOT_A_MAPPING, path=path, line=1)
    found: dict[str, tuple[str | None, int | None]] = {}
    for key, value in document.items():
        position = position_of(document, [key])
        line = position[0] if position else None
        if key not in SETTINGS_BY_NAME:
            known = ", ".join(SETTINGS_BY_NAME)
            raise ConfigError(UNKNOWN_SETTING.format(key=key, known=known), path=path, line=line)
        if SETTINGS_BY_NAME[key].secret:
            env_name = SETTINGS_BY_NAME[key].env
            raise ConfigError(ENV_ONLY_IN_FILE.format(key=key, env=env_name), path=path, line=line)
        if (
            isinstance(value, bool) and key not in BOOLEAN_SETTINGS
        ):  # YAML reads yes/no/on/off/true/false as booleans
            line, column = position_of(document, [key], value=True) or (line, None)
            raise ConfigError(
                BOOLEAN_IN_FILE.format(value=str(value).lower()),
                path=path,
                line=line,
                column=column,
                field=key,
            )
        if key in STRUCTURED_IN_FILE and isinstance(value, list | dict):
            found[key] = (json.dumps(value), line)
            continue
        if value is not None and not isinstance(value, str | int | float):
            raise ConfigError(NOT_ONE_VALUE.format(key=key), path=path, line=line, field=key)
        found[key] = (None if value is None else str(value), line)
    return found


def load_settings(
    flags: Mapping[str, str | None] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve and check every setting once: flag, else environment, else file, else default.

    Parameters
    ----------
    flags
        Values of command-line flags by setting name (``None``: the flag was not given).
    env
        The environment (default: ``os.environ``); an empty variable counts as unset.
    config_file
        The settings file; default ``GOVERNANCE_CONFIG``, else ``governance.yml`` in ``cwd``
        when it exists.
    cwd
        Where ``governance.yml`` is looked for (default: the working directory).

    Returns
    -------
    Settings
        Typed values and their sources.

    Raises
    ------
    ConfigError
        A named file that is missing, a file that is not a mapping of known settings, or a
        value a setting cannot take (naming the setting and its source; an empty value of a
        setting with a default included: it is never read as "use the default").
    """
    flags = flags or {}
    env = os.environ if env is None else env
    explicit = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    file_path = explicit or (cwd or Path.cwd()) / CONFIG_FILE
    from_file = _read_file(file_path) if explicit or file_path.is_file() else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        text, line = from_file.get(setting.name, (None, None))
        candidates = (
            ("flag", None if setting.secret else flags.get(setting.name)),
            (setting.env, env.get(setting.env) or None),
            (f"{file_path}:{line}", text),
        )
        found = next(((s, v) for s, v in candidates if v is not None), None)
        if found is None:
            continue
        source, text = found
        sources[setting.name] = source
        if not text and setting.default in (None, ()):
            continue  # an empty optional setting is not set
        try:
            values[setting.name] = setting.parse(text)
        except _Invalid as exc:
            raise ConfigError(f"{setting.name} {exc} (from {source})") from None
        except ValueError as exc:
            wanted = str(exc) if isinstance(exc, _Refused) else setting.help
            raise ConfigError(
                BAD_VALUE.format(name=setting.name, wanted=wanted, text=text, source=source)
            ) from None
    return Settings(**values, sources=sources)


# -- OpenLineage transports (forwarding the gate's events) ---------------------------------

OPENLINEAGE_CONFIG_ENV = "OPENLINEAGE_CONFIG"
OPENLINEAGE_URL_ENV = "OPENLINEAGE_URL"
OPENLINEAGE_DISABLED_ENV = "OPENLINEAGE_DISABLED"
OPENLINEAGE_ENV_PREFIX = "OPENLINEAGE__"
OPENLINEAGE_CONFIG_FILE = "openlineage.yml"
DEFAULT_HTTP_TRANSPORT = "default_http"


@dataclass(frozen=True)
class OpenLineageSink:
    """Where the gate forwards its OpenLineage events: a transport config and its origin."""

    transport: Mapping[str, Any]
    source: str


def openlineage_sink() -> OpenLineageSink | None:
    """Resolve the OpenLineage transport configured the openlineage-python way.

    The same sources as ``openlineage.client.OpenLineageClient``, read by its own functions:
    the YAML file named by ``OPENLINEAGE_CONFIG``, else ``./openlineage.yml``, else
    ``~/.openlineage/openlineage.yml``; ``OPENLINEAGE__TRANSPORT__*`` environment variables
    (the file wins where both set a key); and ``OPENLINEAGE_URL`` (with ``OPENLINEAGE_ENDPOINT``
    and ``OPENLINEAGE_API_KEY``) for an HTTP transport, or as the ``default_http`` member of a
    composite transport. ``OPENLINEAGE_DISABLED=true`` turns forwarding off.

    Unlike openlineage-python, nothing falls back to printing events on the console: no
    configuration means no forwarding, and a configuration that cannot be read is an error.
    openlineage-python (an import of 0.2 to 0.5 s) is imported only when one of these sources
    exists.

    Returns
    -------
    OpenLineageSink or None
        The transport configuration (a new dict, to pass to the transport factory), or
        ``None`` when nothing is configured or forwarding is disabled.

    Raises
    ------
    ConfigError
        If ``OPENLINEAGE_CONFIG`` names a missing file, a file is not YAML or not a mapping,
        or a ``transport`` is given without a ``type``.
    """
    if os.environ.get(OPENLINEAGE_DISABLED_ENV, "").strip().lower() == "true":
        return None
    named = os.environ.get(OPENLINEAGE_CONFIG_ENV)
    if named and not Path(named).is_file():
        raise ConfigError(f"{OPENLINEAGE_CONFIG_ENV} names a file that does not exist", path=named)
    candidates = (Path.cwd(), Path("~/.openlineage").expanduser())
    if not (
        named
        or os.environ.get(OPENLINEAGE_URL_ENV)
        or any(name.startswith(OPENLINEAGE_ENV_PREFIX) for name in os.environ)
        or any((folder / OPENLINEAGE_CONFIG_FILE).is_file() for folder in candidates)
    ):
        return None  # nothing configured: no need to import openlineage-python
    import copy

    import yaml
    from openlineage.client.client import OpenLineageClient
    from openlineage.client.utils import deep_merge_dicts

    sources: list[str] = []
    config: dict[str, Any] = {}
    path = OpenLineageClient._find_yaml_config_path()
    if path is not None:
        text = read_text(Path(path), ConfigError, "OpenLineage configuration file")
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ConfigError(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                path=path,
                line=None if mark is None else mark.line + 1,
                column=None if mark is None else mark.column + 1,
            ) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError("expected a mapping (transport: ...)", path=path, line=1)
        if loaded and loaded.get("transport"):
            sources.append(str(path))
        config = loaded or {}
    from_env = OpenLineageClient._load_config_from_env_variables() or {}
    if from_env.get("transport"):
        sources.append("OPENLINEAGE__TRANSPORT__* environment variables")
    config = deep_merge_dicts(from_env, config)
    transport = config.get("transport")
    if transport is not None and not isinstance(transport, dict):
        raise ConfigError(f"OpenLineage transport must be a mapping (from {', '.join(sources)})")
    transport = copy.deepcopy(transport) if transport else None
    url = os.environ.get(OPENLINEAGE_URL_ENV)
    if url:
        http: dict[str, Any] = {"type": "http", "url": url}
        if os.environ.get("OPENLINEAGE_ENDPOINT"):
            http["endpoint"] = os.environ["OPENLINEAGE_ENDPOINT"]
        if os.environ.get("OPENLINEAGE_API_KEY"):
            http["auth"] = {"type": "api_key", "apiKey": os.environ["OPENLINEAGE_API_KEY"]}
        if not transport or not transport.get("type"):
            transport = http
            sources = [OPENLINEAGE_URL_ENV]
        elif transport.get("type") == "composite" and isinstance(transport.get("transports"), dict):
            transport["transports"].setdefault(DEFAULT_HTTP_TRANSPORT, http)
            sources.append(OPENLINEAGE_URL_ENV)
    if not transport:
        return None
    if not transport.get("type"):
        raise ConfigError(
            f"the OpenLineage transport has no type (from {', '.join(sources)})",
            hint="set transport.type: http, kafka, file, composite, ...",
        )
    return OpenLineageSink(transport=transport, source=", ".join(sources))
