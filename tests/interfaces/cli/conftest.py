"""The CLI's tests: each command reads its settings from REGLEDGER_* variables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interfaces.settings import get_settings


@pytest.fixture
def configured(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """REGLEDGER_* settings naming the test store and a key file in tmp_path."""
    if store_url.startswith("memory://"):
        pytest.skip("each command opens the store anew; an in-memory store does not outlive it")
    monkeypatch.setenv("REGLEDGER_DATABASE_URL", store_url)
    monkeypatch.setenv("REGLEDGER_SIGNING_KEY_PATH", str(tmp_path / "keys" / "ledger.pem"))
    get_settings.cache_clear()
    yield store_url
    get_settings.cache_clear()
