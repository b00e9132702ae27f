"""Lazy import of WeasyPrint, turning a missing system library into a :class:`SetupError`."""

from __future__ import annotations

import importlib
from types import ModuleType

from governance.errors import SetupError

PANGO_MISSING = "WeasyPrint cannot load its system libraries (Pango): {error}"
PANGO_HINT = "on Debian/Ubuntu run: apt-get install libpango-1.0-0 libpangoft2-1.0-0"


def import_weasyprint() -> ModuleType:
    """Import and return the ``weasyprint`` module.

    Returns
    -------
    ModuleType
        The imported module.

    Raises
    ------
    SetupError
        If WeasyPrint is not installed or its system libraries are missing.
    """
    try:
        return importlib.import_module("weasyprint")
    except OSError as exc:
        raise SetupError(PANGO_MISSING.format(error=exc), hint=PANGO_HINT) from exc
    except ImportError as exc:
        raise SetupError(
            f"WeasyPrint is not installed: {exc}", hint="pip install 'weasyprint>=62'"
        ) from exc
