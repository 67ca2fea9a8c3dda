"""Secrets: bearer tokens are stored only as SHA-256 hashes, looked up by hash and compared in
constant time, never logged nor echoed, and refused by a running server from the moment
they are revoked; the ledger's signing key file is readable by its owner only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from application import principals as principals_module
from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from tests.interfaces.api.conftest import EVERYONE, Api
from tests.reliability.harness import REGLEDGER, Server, add_principal, cli, environment, running

UNKNOWN = "rl_" + "Z" * 43  # shaped like a token, issued to nobody


@dataclass
class Session:
    """A live server's life on a SQLite file: tokens, answers, logs and the files left."""

    token: str
    other: str
    before_revocation: int
    after_revocation: int
    other_after_revocation: int
    answers: list[int]
    log: str
    listed: str
    files: dict[str, bytes]


def _served_session(workdir: Path) -> Iterator[Session]:
    env = environment(f"sqlite:///{workdir}/secrets.db", workdir, log_level="debug")
    principal_id, token = add_principal(env, "anthropic", "provider")
    _, other = add_principal(env, "us-bis", "regulator")
    server = Server(env, workdir)
    with running(server), server.client(token) as client:
        model = {"name": "Fable 5", "description": "frontier"}
        before = client.post("/v1/models", json=model).status_code
        answers = [
            client.get("/v1/models").status_code,
            client.post("/v1/models", json={"name": ""}).status_code,  # 422, token attached
            client.post("/v1/directives", json={}).status_code,  # refused, token attached
            client.post(
                "/v1/models", json=model, headers={"Authorization": f"Bearer {UNKNOWN}"}
            ).status_code,
        ]
        revoked = cli(env, "principal", "revoke", principal_id)
        assert revoked.returncode == 0, revoked.stderr
        after = client.post("/v1/models", json={"name": "Mythos 5"}).status_code
        with server.client(other) as regulator:
            other_after = regulator.get("/v1/directives").status_code
        server.stop()
    listed = cli(env, "principal", "list", "--json").stdout
    files = {p.name: p.read_bytes() for p in workdir.glob("secrets.db*")}
    yield Session(token, other, before, after, other_after, answers, server.output(), listed, files)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """A server at debug log level, used with tokens good, unknown and revoked."""
    yield from _served_session(tmp_path_factory.mktemp("secrets"))


def test_revoked_token_is_refused_at_once_by_a_running_server(session: Session) -> None:
    assert session.before_revocation == 201
    assert session.after_revocation == 401
    assert session.other_after_revocation == 200


def test_tokens_never_appear_in_the_server_log(session: Session) -> None:
    assert "/v1/models" in session.log  # the requests were logged
    for secret in (session.token, session.other, UNKNOWN):
        assert secret not in session.log


def test_tokens_are_stored_only_as_sha256_hashes(session: Session) -> None:
    stored = b"".join(session.files.values())

    for secret in (session.token, session.other):
        assert secret.encode() not in stored
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored


def test_principal_list_never_shows_tokens_or_hashes(session: Session) -> None:
    listed = json.loads(session.listed)

    assert len(listed) == 2
    for secret in (session.token, session.other):
        assert secret not in session.listed
        assert hashlib.sha256(secret.encode()).hexdigest() not in session.listed


# --- in process ------------------------------------------------------------------------------


class SpyDatabase:
    """Passes queries through, remembering every parameter sent to the database."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.params: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def spied(statement: str, params: Any = ()) -> Any:
            self.params.extend(params)
            return method(statement, params)

        return spied


def test_token_is_looked_up_by_its_hash_and_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = System(parse_url(f"sqlite:///{tmp_path}/lookup.db"))
    try:
        store = PrincipalStore(system.app.db)
        principal, token = store.add("anthropic", "provider")
        spy = SpyDatabase(system.app.db)
        store.db = spy  # type: ignore[assignment]
        compared: list[tuple[Any, Any]] = []
        real = principals_module.hmac.compare_digest

        def compare_digest(a: Any, b: Any) -> bool:
            compared.append((a, b))
            return real(a, b)

        monkeypatch.setattr(principals_module.hmac, "compare_digest", compare_digest)

        found = store.authenticate(token)
    finally:
        system.close()

    digest = hashlib.sha256(token.encode()).hexdigest()
    assert found is not None and found.id == principal.id
    assert token not in spy.params
    assert digest in spy.params
    assert compared == [(digest, digest)]


def test_tokens_never_appear_in_logs_or_problems_in_process(
    api: Api, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    token = api.tokens.anthropic
    model = api.ok("/v1/models", {"name": "Fable 5", "description": ""}, token)["id"]
    answers = [
        api.post(f"/v1/models/{model}/restorations", {"scope": EVERYONE, "reason": "r"}, token),
        api.post("/v1/models", {"name": ""}, token),
        api.post("/v1/directives", {}, token),
        api.client.post("/v1/models", json={}, headers={"Authorization": f"Bearer {token} x"}),
        api.client.post("/v1/models", json={}, headers={"Authorization": f"Basic {token}"}),
        api.client.post("/v1/models", json={}, headers={"Authorization": f"Bearer {UNKNOWN}"}),
    ]

    printed = capsys.readouterr()
    assert all(400 <= a.status_code < 500 for a in answers)
    for secret in (token, UNKNOWN):
        assert secret not in caplog.text
        assert secret not in printed.out + printed.err
        assert all(secret not in a.text for a in answers)


# --- the signing key -------------------------------------------------------------------------


def test_signing_key_created_by_the_server_is_owner_only_despite_a_permissive_umask(
    tmp_path: Path,
) -> None:
    key = tmp_path / "keys" / "ledger.pem"
    env = environment(f"sqlite:///{tmp_path}/key.db", tmp_path, signing_key_path=str(key))
    server = Server(env, tmp_path)
    previous = os.umask(0)  # the child inherits it
    try:
        with running(server):
            pass
    finally:
        os.umask(previous)

    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_server_refuses_to_start_with_a_signing_key_others_can_read(tmp_path: Path) -> None:
    key = tmp_path / "ledger.pem"
    env = environment(f"sqlite:///{tmp_path}/key.db", tmp_path, signing_key_path=str(key))
    cli(env, "tree-head", "--sign")  # creates the key
    key.chmod(0o644)

    started = subprocess.run(
        [REGLEDGER, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60
    )

    assert started.returncode != 0
    assert "chmod 600" in started.stdout + started.stderr
