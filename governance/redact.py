"""Error text from libraries, without the pieces of a file it quotes.

Parsers (PyYAML, pyarrow, scikit-learn, pandas) quote what they could not read: a cell, an
alias, a tag, a value that is not a number. When the file is not what it was said to be (a
``.env`` or a private key named as data or policy), that quote is a secret, and the error goes
to a CI log. The library's words are kept; what it quotes from the file is dropped.
"""

from __future__ import annotations

import re

# 'a quoted piece' or "a quoted piece", as repr() and most libraries write them.
_QUOTED = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|b'(?:[^'\\\n]|\\.)*'""")
# What libraries quote of their own: token names (PyYAML's '<block end>'), grammar characters.
WITHHELD = "details withheld: they quote the file"
_OWN = re.compile(r"""^['"]<[a-z ]+>['"]$|^['"][,\]}>!.:# -]['"]$""")


def without_quoted(text: str) -> str:
    """``text`` with every quoted piece removed, except a parser's own token names.

    Parameters
    ----------
    text
        A library's error message.

    Returns
    -------
    str
        The message, its quoted pieces (``'hunter2'``, ``"x"``) dropped and spaces tidied:
        ``could not convert string to float: 'abc'`` -> ``could not convert string to float``.
    """

    def keep(match: re.Match[str]) -> str:
        return match.group(0) if _OWN.match(match.group(0)) else ""

    stripped = _QUOTED.sub(keep, text)
    stripped = re.sub(r"\[[, ]*\]|\{[, ]*\}|\([, ]*\)", "", stripped)  # emptied lists
    stripped = re.sub(r"[ \t]+", " ", stripped)
    stripped = re.sub(r" ([,;:)\]])", r"\1", stripped)
    return stripped.strip().rstrip(":,; ").strip() or WITHHELD
