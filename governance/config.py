"""One table of settings, resolved with the precedence CLI flag > GOVERNANCE_* env > file > default.

The file is ``governance.yml`` in the working directory, or the one named by ``--config`` /
``GOVERNANCE_CONFIG``. See ``docs/configuration.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.errors import ConfigError
from governance.yaml_source import LocatedDict, load_yaml_text, position_of, read_text

CONFIG_FILE = "governance.yml"
CONFIG_ENV = "GOVERNANCE_CONFIG"
DEFAULT_STORE_URL = "sqlite:///.governance/audit.db"
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True)
class Setting:
    """A setting: its name in governance.yml, its environment variable, default and help."""

    name: str
    env: str
    default: str | None
    help: str
    choices: tuple[str, ...] = ()
    secret: bool = False
    """A secret is read from its environment variable only, never from a file or a flag."""


SETTINGS: tuple[Setting, ...] = (
    Setting("store_url", "GOVERNANCE_STORE_URL", DEFAULT_STORE_URL, "audit store URL"),
    Setting("namespace", "GOVERNANCE_NAMESPACE", "governance", "OpenLineage job namespace"),
    Setting("signing_key", "GOVERNANCE_SIGNING_KEY", None, "PEM private key for reports"),
    Setting("signing_cert", "GOVERNANCE_SIGNING_CERT", None, "PEM certificate of that key"),
    Setting(
        "signing_pkcs12", "GOVERNANCE_SIGNING_PKCS12", None, "PKCS#12 file: key, cert and chain"
    ),
    Setting(
        "signing_chain",
        "GOVERNANCE_SIGNING_CHAIN",
        None,
        "intermediate certificates to embed (paths separated by the OS path separator)",
    ),
    Setting(
        "signing_passphrase",
        "GOVERNANCE_SIGNING_PASSPHRASE",
        None,
        "passphrase of the signing key or PKCS#12 file",
        secret=True,
    ),
    Setting("tsa_url", "GOVERNANCE_TSA_URL", None, "RFC 3161 timestamp authority for reports"),
    Setting(
        "fail_on",
        "GOVERNANCE_FAIL_ON",
        "high",
        "lowest severity whose failure blocks",
        SEVERITY_CHOICES,
    ),
    Setting("explain_rows", "GOVERNANCE_EXPLAIN_ROWS", None, "rows explained with SHAP"),
    Setting("explain_background", "GOVERNANCE_EXPLAIN_BACKGROUND", None, "SHAP background rows"),
    Setting("explain_max_seconds", "GOVERNANCE_EXPLAIN_MAX_SECONDS", None, "SHAP time budget"),
    Setting(
        "cel_budget_seconds",
        "GOVERNANCE_CEL_BUDGET_SECONDS",
        None,
        "time budget of one evaluation of a policy's CEL expression, in seconds (default 5)",
    ),
    Setting(
        "report_max_seconds",
        "GOVERNANCE_REPORT_MAX_SECONDS",
        "120",
        "time budget of rendering and laying out one report, in seconds",
    ),
    Setting("serve_host", "GOVERNANCE_SERVE_HOST", "127.0.0.1", "address governance serve binds"),
    Setting("serve_port", "GOVERNANCE_SERVE_PORT", "5000", "port governance serve listens on"),
    Setting(
        "serve_keys_file",
        "GOVERNANCE_SERVE_KEYS_FILE",
        ".governance/serve-keys.json",
        "API keys of governance serve (hashed)",
    ),
    Setting(
        "serve_max_body",
        "GOVERNANCE_SERVE_MAX_BODY",
        "8388608",
        "largest request body governance serve accepts, in bytes",
    ),
    Setting(
        "serve_allowed_hosts",
        "GOVERNANCE_SERVE_ALLOWED_HOSTS",
        None,
        "host names governance serve answers to besides loopback ones (separated by commas)",
    ),
    Setting(
        "serve_reports_dirs",
        "GOVERNANCE_SERVE_REPORTS_DIRS",
        None,
        "folders whose reports governance serve lets clients download (separated by the OS "
        "path separator); none: downloads are off",
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings and where each value came from (``flag``, ``env``, file or default)."""

    values: Mapping[str, str | None]
    sources: Mapping[str, str]

    def __getitem__(self, name: str) -> str | None:
        return self.values[name]

    def seconds(self, name: str) -> float | None:
        """The setting as a positive, finite number of seconds; ``None`` when it is unset.

        Raises
        ------
        ConfigError
            For anything else (``0``, ``-1``, ``nan``, ``inf``, ``1e400``, ``abc``), naming
            where the value came from.
        """
        text = self.values.get(name)
        if text is None or text == "":
            return None
        try:
            value = float(text)
        except (ValueError, OverflowError):
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(
                f"{name} must be a positive number of seconds, found {text!r} "
                f"(from {self.sources.get(name, 'default')})"
            )
        return value

    def require(self, name: str, hint: str) -> str:
        """The value of ``name``, or a ConfigError saying how to set it."""
        value = self.values[name]
        if not value:
            setting = SETTINGS_BY_NAME[name]
            raise ConfigError(
                f"{name} is not set (flag, {setting.env} or {CONFIG_FILE})", hint=hint
            )
        return value


def _read_file(path: Path) -> dict[str, Any]:
    text = read_text(path, ConfigError, "configuration file")
    documents = [doc for doc in load_yaml_text(text, path, ConfigError) if doc is not None]
    if not documents:
        return {}
    document = documents[0]
    if len(documents) > 1 or not isinstance(document, LocatedDict):
        raise ConfigError("expected one mapping of settings", path=path, line=1)
    for key, value in document.items():
        position = position_of(document, [key])
        line = position[0] if position else None
        if key not in SETTINGS_BY_NAME:
            known = ", ".join(SETTINGS_BY_NAME)
            raise ConfigError(f"unknown setting {key!r} (known: {known})", path=path, line=line)
        if SETTINGS_BY_NAME[key].secret:
            env_name = SETTINGS_BY_NAME[key].env
            raise ConfigError(
                f"{key} is a secret: set it in the environment ({env_name}), not in a file",
                path=path,
                line=line,
            )
        if isinstance(value, bool):  # YAML reads yes/no/on/off/true/false as booleans
            line, column = position_of(document, [key], value=True) or (line, None)
            raise ConfigError(
                f"must be text or a number, found the boolean {str(value).lower()} "
                "(quote it to mean the text)",
                path=path,
                line=line,
                column=column,
                field=key,
            )
        if value is not None and not isinstance(value, str | int | float):
            raise ConfigError(f"{key} must be a single value", path=path, line=line, field=key)
    return {key: None if value is None else str(value) for key, value in document.items()}


def load_settings(
    flags: Mapping[str, str | None] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve every setting; an invalid value is a ConfigError naming its source."""
    flags = flags or {}
    env = os.environ if env is None else env
    explicit = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    file_path = explicit or (cwd or Path.cwd()) / CONFIG_FILE
    from_file = _read_file(file_path) if explicit or file_path.is_file() else {}
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        candidates = (
            ("flag", None if setting.secret else flags.get(setting.name)),
            (setting.env, env.get(setting.env) or None),
            (str(file_path), from_file.get(setting.name)),
            ("default", setting.default),
        )
        source, value = next(((s, v) for s, v in candidates if v is not None), ("default", None))
        if setting.choices and value is not None and value not in setting.choices:
            raise ConfigError(
                f"{setting.name} must be one of {', '.join(setting.choices)}, "
                f"found {value!r} (from {source})"
            )
        values[setting.name] = value
        sources[setting.name] = source
    return Settings(values=values, sources=sources)


# -- OpenLineage transports (forwarding the gate's events) ---------------------------------

OPENLINEAGE_CONFIG_ENV = "OPENLINEAGE_CONFIG"
OPENLINEAGE_URL_ENV = "OPENLINEAGE_URL"
OPENLINEAGE_DISABLED_ENV = "OPENLINEAGE_DISABLED"
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
    import copy

    import yaml
    from openlineage.client.client import OpenLineageClient
    from openlineage.client.utils import deep_merge_dicts

    if os.environ.get(OPENLINEAGE_DISABLED_ENV, "").strip().lower() == "true":
        return None
    named = os.environ.get(OPENLINEAGE_CONFIG_ENV)
    if named and not Path(named).is_file():
        raise ConfigError(f"{OPENLINEAGE_CONFIG_ENV} names a file that does not exist", path=named)
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
