"""Shared fixtures: every behavioural test runs on the in-memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from application.persistence.store import parse_url
from application.service import Regledger

PG_ADMIN_URL = os.environ.get("REGLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
STORES = [
    s for s in os.environ.get("REGLEDGER_TEST_STORES", "memory,sqlite,postgres").split(",") if s
]


def _pg_server_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this test process, dropped afterwards."""
    name = f"regledger_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_server_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_pg(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh, empty store of each kind."""
    kind = request.param
    if kind == "memory":
        yield f"memory://t{uuid.uuid4().hex}"
    elif kind == "sqlite":
        yield f"sqlite:///{tmp_path}/regledger.db"
    else:
        url = request.getfixturevalue("pg_database")
        _reset_pg(url)
        yield url


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward and return the new time."""
        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Starts on 1 May 2026, 09:00 UTC."""
    return FakeClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def app(store_url: str, clock: FakeClock) -> Iterator[Regledger]:
    """The application on a fresh store of each kind."""
    application = Regledger(parse_url(store_url), clock=clock)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture(autouse=True)
def _signing_key_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """No test writes a ledger key into the working tree, whatever settings it leaves alone."""
    key = tmp_path_factory.mktemp("keys") / "ledger-key.pem"
    monkeypatch.setenv("REGLEDGER_SIGNING_KEY_PATH", str(key))
