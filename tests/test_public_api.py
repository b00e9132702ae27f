from __future__ import annotations

import governance


def test_every_public_name_resolves() -> None:
    for name in governance.__all__:
        assert getattr(governance, name) is not None, name
