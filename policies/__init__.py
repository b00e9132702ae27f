"""The policy packs, installed as ``governance._packs`` (see pyproject.toml, package-dir).

This file only makes the folder a package, so that an installed governance finds the packs with
``importlib.resources``; the packs are the YAML files beside it (docs/packs.md). Use one by name:
``governance check MANIFEST --policy pack:fairness-baseline``; ``governance packs`` lists them.
"""
