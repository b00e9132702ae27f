"""Lazy import of WeasyPrint, turning a missing system library into a :class:`SetupError`."""

from __future__ import annotations

import importlib
from types import ModuleType

from governance.errors import SetupError
from governance.extras import missing_extra

PANGO_MISSING = "WeasyPrint cannot load its system libraries (Pango): {error}"
PANGO_HINT = "on Debian/Ubuntu run: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
WEASYPRINT_BROKEN = "WeasyPrint cannot be imported: {error}"
WEASYPRINT_HINT = "pip install 'governance[report]'"


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
        raise missing_extra(exc) or SetupError(
            WEASYPRINT_BROKEN.format(error=exc), hint=WEASYPRINT_HINT
        ) from exc
