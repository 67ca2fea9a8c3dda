"""The standard-library verifier published in docs/audit.md accepts our proofs."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from application.ledger import merkle
from application.ledger.merkle import MerkleLog

AUDIT_DOC = Path(__file__).resolve().parents[3] / "docs" / "audit.md"
EDGE_SIZES = sorted({1, 2, 3} | {2**k for k in range(1, 7)} | {2**k + 1 for k in range(1, 7)})


def doc_section(title: str) -> str:
    text = AUDIT_DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/audit.md has no section {title!r}"
    return match.group(1)


def python_blocks(section: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    blocks = python_blocks(doc_section("Verifying with hashlib alone"))
    assert len(blocks) == 1
    namespace: dict[str, Any] = {"__name__": "audit_doc"}
    exec(compile(blocks[0], str(AUDIT_DOC), "exec"), namespace)
    return namespace


def flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 0x01]) + value[1:]


def build(size: int) -> MerkleLog:
    log = MerkleLog()
    for index in range(size):
        log.append_data(f"audit-{index}".encode())
    return log


def test_documented_verifier_imports_only_the_standard_library() -> None:
    (block,) = python_blocks(doc_section("Verifying with hashlib alone"))
    imported: set[str] = set()
    for node in ast.walk(ast.parse(block)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"hashlib", "base64"}


def test_documented_hashes_match_the_library(doc: dict[str, Any]) -> None:
    left, right = merkle.leaf_hash(b"l"), merkle.leaf_hash(b"r")
    assert doc["leaf_hash"](b"payload") == merkle.leaf_hash(b"payload")
    assert doc["node_hash"](left, right) == merkle.node_hash(left, right)


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_documented_verifier_accepts_every_inclusion_proof(doc: dict[str, Any], size: int) -> None:
    verify: Callable[..., bool] = doc["verify_inclusion"]
    log = build(size)
    root = log.root()
    for index in range(size):
        assert verify(log.leaf_hash(index), index, size, log.inclusion_proof(index), root)


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_documented_verifier_accepts_every_consistency_proof(
    doc: dict[str, Any], size: int
) -> None:
    verify: Callable[..., bool] = doc["verify_consistency"]
    log = build(size)
    for second in range(size + 1):
        for first in range(second + 1):
            proof = log.consistency_proof(first, second)
            assert verify(first, second, log.root(first), log.root(second), proof)


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_documented_verifier_rejects_tampered_inclusion_proofs(
    doc: dict[str, Any], size: int
) -> None:
    verify: Callable[..., bool] = doc["verify_inclusion"]
    log = build(size)
    root = log.root()
    for index in range(size):
        leaf, proof = log.leaf_hash(index), log.inclusion_proof(index)
        assert not verify(flip(leaf), index, size, proof, root)
        assert not verify(leaf, index, size, proof, flip(root))
        assert not verify(leaf, index, size, [*proof, root], root)
        assert not verify(leaf, size, size, proof, root)
        for position in range(len(proof)):
            tampered = list(proof)
            tampered[position] = flip(tampered[position])
            assert not verify(leaf, index, size, tampered, root)
            assert not verify(leaf, index, size, proof[:position], root)


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_documented_verifier_rejects_tampered_consistency_proofs(
    doc: dict[str, Any], size: int
) -> None:
    verify: Callable[..., bool] = doc["verify_consistency"]
    log = build(size)
    for second in range(1, size + 1):
        second_root = log.root(second)
        for first in range(1, second + 1):
            first_root = log.root(first)
            proof = log.consistency_proof(first, second)
            assert not verify(first, second, flip(first_root), second_root, proof)
            assert not verify(first, second, first_root, flip(second_root), proof)
            assert not verify(first, second, first_root, second_root, [*proof, second_root])
            for position in range(len(proof)):
                tampered = list(proof)
                tampered[position] = flip(tampered[position])
                assert not verify(first, second, first_root, second_root, tampered)
                assert not verify(first, second, first_root, second_root, proof[:position])


def test_audit_doc_names_the_endpoints_and_the_verify_command() -> None:
    section = doc_section("Endpoints and commands")
    for needle in (
        "GET /v1/audit/tree-head",
        "GET /v1/audit/proofs/inclusion?position=&tree_size=",
        "GET /v1/audit/proofs/consistency?first=&second=",
        "regledger verify",
    ):
        assert needle in section
