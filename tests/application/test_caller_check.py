"""A command carrying a caller check is recorded only while its caller's token is active.

The check runs inside the transaction that records the command's events, so a token
revoked by any process before that transaction is refused there, and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.context import CommandContext
from application.persistence.recorders import CallerCheck, CallerNotActive
from application.persistence.store import parse_url
from application.principals import PrincipalStore, token_hash
from application.system import System


@pytest.fixture
def system(store_url: str) -> Iterator[System]:
    built = System(parse_url(store_url))
    try:
        yield built
    finally:
        built.close()


def test_a_command_under_an_active_token_is_recorded_and_its_check_passed(
    system: System,
) -> None:
    principals = PrincipalStore(system.app.db)
    principal, token = principals.add("anthropic", "provider")
    check = CallerCheck(token_hash(token))
    ctx = CommandContext(principal.actor, principal_id=principal.id, caller_check=check)

    result = system.app.register_model(ctx, "Fable 5", "")

    assert check.passed
    assert system.app.recorder.max_notification_id() == result.position


def test_a_command_under_a_revoked_token_records_nothing(system: System) -> None:
    principals = PrincipalStore(system.app.db)
    principal, token = principals.add("anthropic", "provider")
    principals.revoke(principal.id)
    check = CallerCheck(token_hash(token))
    ctx = CommandContext(principal.actor, principal_id=principal.id, caller_check=check)
    before = system.app.recorder.max_notification_id()

    with pytest.raises(CallerNotActive):
        system.app.register_model(ctx, "Fable 5", "")

    assert not check.passed
    assert system.app.recorder.max_notification_id() == before
    # and the name is still free: nothing of the refused command remains
    fresh, fresh_token = principals.add("anthropic", "provider")
    again = CommandContext(fresh.actor, principal_id=fresh.id)
    assert system.app.register_model(again, "Fable 5", "").version == 1


def test_identify_answers_a_known_token_from_memory_with_its_hash_to_check(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    principals = PrincipalStore(system.app.db)
    principal, token = principals.add("anthropic", "provider")
    lookups: list[str] = []
    real = principals.authenticate

    def counted(t: str):  # type: ignore[no-untyped-def]
        lookups.append(t)
        return real(t)

    monkeypatch.setattr(principals, "authenticate", counted)

    first = principals.identify(token)
    second = principals.identify(token)

    assert first == (principal, None)  # looked up: nothing left to check
    assert second == (principal, token_hash(token))  # from memory: to be checked
    assert lookups == [token]
    assert principals.identify("rl_unknown") is None


def test_a_token_revoked_by_its_own_store_or_found_revoked_is_forgotten(
    system: System,
) -> None:
    principals = PrincipalStore(system.app.db)
    elsewhere = PrincipalStore(system.app.db)
    ours, ours_token = principals.add("anthropic", "provider")
    theirs, theirs_token = principals.add("openai", "provider")
    principals.identify(ours_token)
    principals.identify(theirs_token)

    principals.revoke(ours.id)
    elsewhere.revoke(theirs.id)

    assert principals.identify(ours_token) is None
    assert principals.identify(theirs_token) == (theirs, token_hash(theirs_token))
    assert principals.authenticate(theirs_token) is None
    assert principals.identify(theirs_token) is None


def test_a_store_keeps_a_bounded_number_of_tokens_in_memory(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("application.principals.IDENTITIES", 2)
    principals = PrincipalStore(system.app.db)
    tokens = [principals.add("anthropic", "provider")[1] for _ in range(3)]
    for token in tokens:
        principals.identify(token)

    newest_first = [principals.identify(t) for t in reversed(tokens)]

    # the two newest answer from memory; the oldest was let go, and is looked up again
    assert [found is not None and found[1] is not None for found in newest_first] == [
        True,
        True,
        False,
    ]
