"""The regulation or standard a rule's control reference belongs to.

A control is free text as a policy writes it (``"EU AI Act Art. 10(2)(f) (examination in view of
possible biases)"``); its framework is read from its leading words, the same way in the report's
coverage table and in ``governance packs``.
"""

from __future__ import annotations

FRAMEWORK_PREFIXES = (
    "EU AI Act",
    "NIST AI RMF",
    "ISO/IEC 42001",
    "US EEOC",
    "ECOA",
    "Regulation B",
)
"""Frameworks named by more than their first two words."""


def framework_of(control: str) -> str:
    """The regulation or standard a control reference belongs to, from its leading words.

    Parameters
    ----------
    control
        A control reference, e.g. ``"29 CFR 1607.4(D) (adverse impact)"``.

    Returns
    -------
    str
        A known prefix (``"EU AI Act"``), else the first two words (``"29 CFR"``).
    """
    for prefix in FRAMEWORK_PREFIXES:
        if control.startswith(prefix):
            return prefix
    words = control.split()
    return " ".join(words[:2]) if len(words) > 1 else control
