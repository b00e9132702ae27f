"""The default report theme, installed as ``governance._templates`` (see pyproject.toml).

This file only makes the folder a package, so that an installed governance finds the theme with
``importlib.resources``. To change the report, copy this folder and pass the copy with
``--templates DIR`` (docs/report.md).
"""
