"""Text shown on one line: control characters and line separators written as escapes."""

from __future__ import annotations

import unicodedata


def visible(text: str, *, keep: str = "") -> str:
    r"""Return ``text`` with control characters and line separators as escapes (``\n``).

    A name may hold a newline (OpenLineage allows any string); printed raw it would break a line
    of output in two, and a terminal escape in it would act.

    Parameters
    ----------
    text
        A node name, a message, any text from outside.
    keep
        Characters to leave as they are (``"\t"``).

    Returns
    -------
    str
        The text on one line: ``\n``, ``\t``, ``\x1b``, ``\u2028`` for such characters.
    """
    if not any(_is_control(char) and char not in keep for char in text):
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if _is_control(char) and char not in keep
        else char
        for char in text
    )


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")
