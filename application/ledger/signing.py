"""Ed25519 signed tree heads and the on-disk signing key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

SIGNED_PREFIX = b"regledger-tree-head-v1\n"
KEY_FILE_MODE = 0o600
_HEX_DIGITS = frozenset("0123456789abcdef")


class KeyFileError(Exception):
    """The signing key file is unusable (unsafe permissions or wrong contents)."""


@dataclass(frozen=True)
class TreeHead:
    """A signed statement of the log's size and root hash at a point in time."""

    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str

    def to_dict(self) -> dict[str, int | str]:
        """Return the tree head as a JSON-serialisable dict."""
        return asdict(self)


def _check_permissions(path: Path) -> None:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"refusing signing key {path}: permissions {mode:04o} allow group/other access; "
            f"run `chmod 600 {path}`"
        )


def _load_key(path: Path) -> Ed25519PrivateKey:
    _check_permissions(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise KeyFileError(f"signing key {path} is not a PEM private key: {error}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"signing key {path} is not an Ed25519 key")
    return key


def _write_new_key(path: Path) -> bool:
    """Write a fresh key to path atomically; return False if path already exists."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Load the Ed25519 key at path, creating it (PEM PKCS8, mode 0600) if it does not exist."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_new_key(path)
    return _load_key(path)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the hex SHA-256 of the raw 32-byte public key."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """Return the standard base64 encoding of the raw 32-byte public key."""
    return base64.b64encode(_raw_public(public_key)).decode("ascii")


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


def format_timestamp(timestamp: datetime) -> str:
    """Return an aware datetime as RFC 3339 UTC with microseconds and a +00:00 offset."""
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return timestamp.astimezone(UTC).isoformat(timespec="microseconds")


def signed_bytes(tree_size: int, root_hash_hex: str, timestamp: str) -> bytes:
    """Return the exact bytes covered by a tree head signature."""
    if not isinstance(tree_size, int) or isinstance(tree_size, bool) or tree_size < 0:
        raise ValueError("tree_size must be a non-negative integer")
    if len(root_hash_hex) != 64 or not set(root_hash_hex) <= _HEX_DIGITS:
        raise ValueError("root_hash_hex must be 64 lowercase hex digits")
    if "\n" in timestamp or "\r" in timestamp:
        raise ValueError("timestamp must not contain line breaks")
    return SIGNED_PREFIX + f"{tree_size}\n{root_hash_hex}\n{timestamp}\n".encode()


def sign_tree_head(
    key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp: datetime
) -> TreeHead:
    """Sign (tree_size, root_hash, timestamp) and return the resulting TreeHead."""
    if len(root_hash) != 32:
        raise ValueError("root_hash must be 32 bytes")
    root_hex = root_hash.hex()
    stamp = format_timestamp(timestamp)
    signature = key.sign(signed_bytes(tree_size, root_hex, stamp))
    return TreeHead(
        tree_size=tree_size,
        root_hash=root_hex,
        timestamp=stamp,
        key_id=key_id(key.public_key()),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def verify_tree_head(public_key_raw: bytes, head: TreeHead) -> bool:
    """Return True if head is signed by the given raw Ed25519 public key and names its key id."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(public_key_raw)
        if head.key_id != key_id(public_key):
            return False
        signature = base64.b64decode(head.signature, validate=True)
        public_key.verify(signature, signed_bytes(head.tree_size, head.root_hash, head.timestamp))
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True
