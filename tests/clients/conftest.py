"""The built wheel, once per session, for the environments the client tests make."""

from __future__ import annotations

from pathlib import Path

import pytest

from .venvs import build_wheel


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))
