"""Optional dependencies: which extra installs a package, and the error when one is missing.

The bare package is the policy engine (``policy lint``, ``policy test``, ``checks``); the rest is
in extras (``pyproject.toml``, ``docs/install.md``). Heavy libraries are imported where they are
used, so a missing one surfaces as a :class:`ModuleNotFoundError` deep in a command: the CLI's
error boundary and the rule engine turn it into one line naming the extra to install.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from types import MappingProxyType

from governance.errors import SetupError

PURPOSES: Mapping[str, str] = MappingProxyType(
    {
        "gate": "evaluating a model, the audit store and lineage",
        "report": "signed PDF reports and their verification",
        "explain": "the explainability checks",
        "serve": "governance serve",
        "postgres": "a PostgreSQL audit store",
        "spark": "the spark engine (data.engine: spark)",
        "mlflow": "models from an MLflow registry (model.uri: models:/...)",
    }
)
"""Each extra of ``pyproject.toml`` (``full`` aside) and what it is for."""

EXTRA_OF: Mapping[str, str] = MappingProxyType(
    {
        "alembic": "gate",
        "cryptography": "gate",
        "duckdb": "gate",
        "joblib": "gate",
        "matplotlib": "gate",
        "numpy": "gate",
        "openlineage": "gate",
        "pandas": "gate",
        "pyarrow": "gate",
        "scipy": "gate",
        "sklearn": "gate",
        "skops": "gate",
        "sqlalchemy": "gate",
        "asn1crypto": "report",
        "jinja2": "report",
        "pyhanko": "report",
        "pyhanko_certvalidator": "report",
        "weasyprint": "report",
        "shap": "explain",
        "anyio": "serve",
        "fastapi": "serve",
        "starlette": "serve",
        "uvicorn": "serve",
        "psycopg": "postgres",
        "pyspark": "spark",
        "mlflow": "mlflow",
    }
)
"""Top-level module name -> the extra that installs it."""

MISSING_EXTRA = (
    "the Python package {module} is not installed (the '{extra}' extra: {purpose}): "
    "pip install 'governance[{extra}]'"
)
MISSING_EXTRA_HINT = "or 'governance[full]' for every command"


def _error(module: str, extra: str) -> SetupError:
    message = MISSING_EXTRA.format(module=module, purpose=PURPOSES[extra], extra=extra)
    return SetupError(message, hint=MISSING_EXTRA_HINT)


def installed(module: str) -> bool:
    """Whether ``module`` (a top-level name) can be imported, without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(extra: str) -> None:
    """Check that the packages of ``extra`` are installed before any work is done.

    Parameters
    ----------
    extra
        A key of :data:`PURPOSES`.

    Raises
    ------
    SetupError
        Naming the first package of ``extra`` that is not installed (exit 2).
    """
    for module, owner in EXTRA_OF.items():
        if owner == extra and not installed(module):
            raise _error(module, extra)


def missing_extra(exc: BaseException) -> SetupError | None:
    """The error to show for ``exc`` if it is an optional package that is not installed.

    Parameters
    ----------
    exc
        Any exception; only a :class:`ModuleNotFoundError` for a module of :data:`EXTRA_OF`
        (or one of its submodules) gives an error.

    Returns
    -------
    SetupError or None
        ``SetupError`` (exit 2) naming the module and the extra to install, or ``None`` when
        ``exc`` is anything else (a bug, or a module that no extra installs).
    """
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    module = exc.name.partition(".")[0]
    extra = EXTRA_OF.get(module)
    return None if extra is None else _error(module, extra)
