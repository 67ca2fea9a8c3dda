"""Behaviour of the signing key file and Ed25519 signed tree heads."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.ledger.signing import (
    KeyFileError,
    TreeHead,
    key_id,
    load_or_create_key,
    public_key_b64,
    sign_tree_head,
    signed_bytes,
    verify_tree_head,
)

ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
WHEN = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_new_key_file_is_created_owner_only_in_a_new_directory(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger.pem"
    key = load_or_create_key(path)
    assert isinstance(key, Ed25519PrivateKey)
    assert mode_of(path) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.pem"]


def test_key_file_is_owner_only_even_with_a_permissive_umask(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "ledger.pem"
    load_or_create_key(path)
    assert mode_of(path) == 0o600


def test_existing_key_is_loaded_rather_than_replaced(tmp_path: Path) -> None:
    path = tmp_path / "ledger.pem"
    first = load_or_create_key(path)
    contents = path.read_bytes()
    second = load_or_create_key(path)
    assert raw_public(first) == raw_public(second)
    assert path.read_bytes() == contents


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o700])
def test_key_file_readable_or_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "ledger.pem"
    load_or_create_key(path)
    path.chmod(mode)
    if mode & 0o077:
        with pytest.raises(KeyFileError, match="chmod 600"):
            load_or_create_key(path)
    else:
        load_or_create_key(path)


def test_key_file_holding_another_key_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.pem"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not an Ed25519 key"):
        load_or_create_key(path)


def test_key_file_with_garbage_contents_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.pem"
    path.write_bytes(b"garbage")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a PEM private key"):
        load_or_create_key(path)


def test_key_id_is_the_hex_sha256_of_the_raw_public_key(key: Ed25519PrivateKey) -> None:
    assert key_id(key.public_key()) == hashlib.sha256(raw_public(key)).hexdigest()


def test_public_key_b64_is_standard_base64_of_the_raw_key(key: Ed25519PrivateKey) -> None:
    assert base64.b64decode(public_key_b64(key.public_key()), validate=True) == raw_public(key)


def test_signed_bytes_are_the_versioned_newline_separated_fields() -> None:
    stamp = "2026-11-28T02:00:00.000000+00:00"
    assert signed_bytes(8, ROOT.hex(), stamp) == (
        b"regledger-tree-head-v1\n8\n" + ROOT.hex().encode() + b"\n" + stamp.encode() + b"\n"
    )


@pytest.mark.parametrize(
    ("size", "root_hex", "stamp"),
    [(-1, ROOT.hex(), "x"), (1, ROOT.hex().upper(), "x"), (1, "ab", "x"), (1, ROOT.hex(), "a\nb")],
)
def test_signed_bytes_reject_ambiguous_fields(size: int, root_hex: str, stamp: str) -> None:
    with pytest.raises(ValueError):
        signed_bytes(size, root_hex, stamp)


def test_tree_head_timestamp_is_rfc3339_utc_with_microseconds(key: Ed25519PrivateKey) -> None:
    plus_one = timezone(timedelta(hours=1))
    head = sign_tree_head(key, 8, ROOT, datetime(2026, 11, 28, 3, 0, tzinfo=plus_one))
    assert head.timestamp == "2026-11-28T02:00:00.000000+00:00"


def test_naive_timestamp_is_rejected(key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError):
        sign_tree_head(key, 8, ROOT, datetime(2026, 11, 28, 2, 0))


def test_signed_tree_head_verifies_with_the_signing_public_key(key: Ed25519PrivateKey) -> None:
    head = sign_tree_head(key, 8, ROOT, WHEN)
    assert head.tree_size == 8
    assert head.root_hash == ROOT.hex()
    assert head.key_id == key_id(key.public_key())
    assert verify_tree_head(raw_public(key), head)


def test_signature_covers_exactly_the_signed_bytes(key: Ed25519PrivateKey) -> None:
    head = sign_tree_head(key, 8, ROOT, WHEN)
    message = signed_bytes(head.tree_size, head.root_hash, head.timestamp)
    key.public_key().verify(base64.b64decode(head.signature), message)


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": 9},
        {"root_hash": "00" * 32},
        {"timestamp": "2026-11-28T02:00:00.000001+00:00"},
        {"key_id": "00" * 32},
        {"signature": base64.b64encode(bytes(64)).decode()},
    ],
)
def test_changing_any_field_makes_verification_fail(
    key: Ed25519PrivateKey, change: dict[str, Any]
) -> None:
    head = sign_tree_head(key, 8, ROOT, WHEN)
    assert not verify_tree_head(raw_public(key), dataclasses.replace(head, **change))


def test_tree_head_from_another_key_does_not_verify(key: Ed25519PrivateKey) -> None:
    head = sign_tree_head(Ed25519PrivateKey.generate(), 8, ROOT, WHEN)
    assert not verify_tree_head(raw_public(key), head)


def test_malformed_signature_or_public_key_fails_verification(key: Ed25519PrivateKey) -> None:
    head = sign_tree_head(key, 8, ROOT, WHEN)
    assert not verify_tree_head(raw_public(key)[:31], head)
    assert not verify_tree_head(raw_public(key), dataclasses.replace(head, signature="***"))
    assert not verify_tree_head(raw_public(key), dataclasses.replace(head, root_hash="zz"))


def test_tree_head_is_frozen_and_serialisable(key: Ed25519PrivateKey) -> None:
    head = sign_tree_head(key, 8, ROOT, WHEN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        head.tree_size = 9  # type: ignore[misc]
    data: dict[str, Any] = head.to_dict()
    assert TreeHead(**data) == head
