"""Behaviour of the RFC 9162 Merkle log, checked against the RFC's recursive definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.ledger.merkle import (
    EMPTY_ROOT,
    InMemorySubtreeStore,
    MerkleLog,
    MissingSubtreeError,
    append_leaf,
    consistency_proof,
    extend_store,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33]
SMALL_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]


def ref_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as written in RFC 9162 section 2.1.1."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:])).digest()


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as written in RFC 9162 section 2.1.3.1."""
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, entries[:k]) + [ref_mth(entries[k:])]
    return ref_path(m - k, entries[k:]) + [ref_mth(entries[:k])]


def ref_subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) exactly as written in RFC 9162 section 2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if complete else [ref_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, entries[:k], complete) + [ref_mth(entries[k:])]
    return ref_subproof(m - k, entries[k:], False) + [ref_mth(entries[:k])]


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    return ref_subproof(m, entries, True)


def entries_of(n: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(n)]


def log_of(entries: list[bytes]) -> MerkleLog:
    log = MerkleLog()
    for entry in entries:
        log.append_data(entry)
    return log


def flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 0x01]) + value[1:]


class CountingStore(InMemorySubtreeStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    def get(self, level: int, index: int) -> bytes | None:
        self.gets += 1
        return super().get(level, index)


def test_empty_tree_root_is_sha256_of_the_empty_string() -> None:
    expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MerkleLog().root().hex() == expected
    assert EMPTY_ROOT.hex() == expected


def test_root_of_a_single_empty_leaf_is_the_known_answer() -> None:
    expected = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert log_of([b""]).root().hex() == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (2, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        (3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
        (4, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        (5, "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
        (6, "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
        (7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
        (8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
)
def test_roots_match_the_certificate_transparency_reference_vectors(
    size: int, expected: str
) -> None:
    entries = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        bytes(range(0x50, 0x58)),
        bytes(range(0x60, 0x70)),
    ]
    assert log_of(entries).root(size).hex() == expected


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(left + right) != node_hash(left, right)


@pytest.mark.parametrize("size", SIZES)
def test_root_matches_the_recursive_definition_for_every_prefix(size: int) -> None:
    entries = entries_of(size)
    log = log_of(entries)
    for tree_size in range(size + 1):
        assert log.root(tree_size) == ref_mth(entries[:tree_size])


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proof_matches_the_recursive_path_for_every_leaf(size: int) -> None:
    entries = entries_of(size)
    log = log_of(entries)
    for index in range(size):
        assert log.inclusion_proof(index, size) == ref_path(index, entries)


def test_inclusion_proof_verifies_for_every_leaf_of_a_seven_leaf_tree() -> None:
    log = log_of(entries_of(7))
    for index in range(7):
        proof = log.inclusion_proof(index)
        assert verify_inclusion(log.leaf_hash(index), index, 7, proof, log.root())


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_inclusion_proof_verifies_for_every_leaf_of_every_smaller_tree(size: int) -> None:
    log = log_of(entries_of(size))
    for tree_size in range(1, size + 1):
        root = log.root(tree_size)
        for index in range(tree_size):
            proof = log.inclusion_proof(index, tree_size)
            assert verify_inclusion(log.leaf_hash(index), index, tree_size, proof, root)


@pytest.mark.parametrize("size", SIZES)
def test_consistency_proof_matches_the_recursive_subproof_for_every_pair(size: int) -> None:
    entries = entries_of(size)
    log = log_of(entries)
    for second in range(1, size + 1):
        for first in range(1, second):
            assert log.consistency_proof(first, second) == ref_proof(first, entries[:second])


@pytest.mark.parametrize("size", SIZES)
def test_consistency_proof_verifies_for_every_pair_of_sizes(size: int) -> None:
    log = log_of(entries_of(size))
    for second in range(size + 1):
        for first in range(second + 1):
            proof = log.consistency_proof(first, second)
            assert verify_consistency(first, second, log.root(first), log.root(second), proof)


def test_consistency_proof_is_empty_for_equal_sizes_and_from_the_empty_tree() -> None:
    log = log_of(entries_of(5))
    assert log.consistency_proof(0, 5) == []
    assert log.consistency_proof(3, 3) == []
    assert not verify_consistency(3, 3, log.root(3), log.root(4), [])
    assert not verify_consistency(0, 5, log.root(1), log.root(5), [])
    assert not verify_consistency(3, 3, log.root(3), log.root(3), [log.root(3)])


@pytest.mark.parametrize("size", [1, 2, 3, 8, 17])
def test_inclusion_verification_fails_for_tampered_leaf_root_proof_or_index(size: int) -> None:
    log = log_of(entries_of(size))
    root = log.root()
    for index in range(size):
        leaf = log.leaf_hash(index)
        proof = log.inclusion_proof(index)
        assert not verify_inclusion(flip(leaf), index, size, proof, root)
        assert not verify_inclusion(leaf, index, size, proof, flip(root))
        assert not verify_inclusion(leaf, index, size, [*proof, root], root)
        assert not verify_inclusion(leaf, size, size, proof, root)
        for position in range(len(proof)):
            tampered = list(proof)
            tampered[position] = flip(tampered[position])
            assert not verify_inclusion(leaf, index, size, tampered, root)
            assert not verify_inclusion(leaf, index, size, proof[:position], root)
        for other in range(size):
            if other != index:
                assert not verify_inclusion(leaf, other, size, proof, root)


@pytest.mark.parametrize("size", [2, 3, 8, 9, 17])
def test_consistency_verification_fails_for_tampered_roots_or_proof(size: int) -> None:
    log = log_of(entries_of(size))
    for second in range(2, size + 1):
        second_root = log.root(second)
        for first in range(1, second):
            first_root = log.root(first)
            proof = log.consistency_proof(first, second)
            assert not verify_consistency(first, second, flip(first_root), second_root, proof)
            assert not verify_consistency(first, second, first_root, flip(second_root), proof)
            assert not verify_consistency(second, first, second_root, first_root, proof)
            assert not verify_consistency(
                first, second, first_root, second_root, [*proof, proof[0]]
            )
            for position in range(len(proof)):
                tampered = list(proof)
                tampered[position] = flip(tampered[position])
                assert not verify_consistency(first, second, first_root, second_root, tampered)
                assert not verify_consistency(
                    first, second, first_root, second_root, proof[:position]
                )


def test_verification_rejects_malformed_arguments_instead_of_raising() -> None:
    log = log_of(entries_of(4))
    leaf, root, proof = log.leaf_hash(1), log.root(), log.inclusion_proof(1)
    assert verify_inclusion(leaf, 1, 4, proof, root)
    assert not verify_inclusion(leaf, -1, 4, proof, root)
    assert not verify_inclusion(leaf, 1, 0, proof, root)
    assert not verify_inclusion(leaf[:31], 1, 4, proof, root)
    assert not verify_inclusion(leaf, 1, 4, [p + b"\x00" for p in proof], root)
    assert not verify_consistency(-1, 4, root, root, [])
    assert not verify_consistency(2, 4, log.root(2)[:16], root, log.consistency_proof(2))


def test_append_leaf_stores_exactly_the_complete_subtrees() -> None:
    entries = entries_of(21)
    store = InMemorySubtreeStore()
    size = 0
    for entry in entries:
        size = append_leaf(store, size, leaf_hash(entry))
    expected = {
        (level, index) for level in range(6) for index in range(21) if (index + 1) << level <= 21
    }
    assert len(store) == len(expected)
    for level, index in expected:
        start, stop = index << level, (index + 1) << level
        assert store.get(level, index) == ref_mth(entries[start:stop])


def test_store_functions_and_log_methods_agree() -> None:
    entries = entries_of(13)
    log = log_of(entries)
    assert root_hash(log.store, 9) == log.root(9)
    assert inclusion_proof(log.store, 4, 9) == log.inclusion_proof(4, 9)
    assert consistency_proof(log.store, 5, 9) == log.consistency_proof(5, 9)


def test_log_reopened_over_an_existing_store_continues_with_the_same_roots() -> None:
    entries = entries_of(40)
    store = InMemorySubtreeStore()
    first = MerkleLog(store)
    for entry in entries[:23]:
        first.append_data(entry)
    reopened = MerkleLog(store, size=23)
    assert reopened.root() == first.root()
    for entry in entries[23:]:
        reopened.append_data(entry)
    assert reopened.root() == ref_mth(entries)
    assert reopened.root(23) == ref_mth(entries[:23])


def test_extend_store_fetches_leaf_hashes_in_batches() -> None:
    hashes = [leaf_hash(entry) for entry in entries_of(10)]
    calls: list[tuple[int, int]] = []

    def get_leaf_hashes(start: int, stop: int) -> list[bytes]:
        calls.append((start, stop))
        return hashes[start:stop]

    store = InMemorySubtreeStore()
    assert extend_store(store, 0, 10, get_leaf_hashes, batch_size=4) == 10
    assert calls == [(0, 4), (4, 8), (8, 10)]
    assert root_hash(store, 10) == ref_mth(entries_of(10))


def test_extend_store_rejects_a_short_batch() -> None:
    with pytest.raises(ValueError):
        extend_store(InMemorySubtreeStore(), 0, 3, lambda start, stop: [leaf_hash(b"x")])


def test_missing_subtree_is_reported() -> None:
    with pytest.raises(MissingSubtreeError):
        root_hash(InMemorySubtreeStore(), 3)


def test_requests_beyond_the_log_size_are_rejected() -> None:
    log = log_of(entries_of(5))
    with pytest.raises(ValueError):
        log.root(6)
    with pytest.raises(ValueError):
        log.inclusion_proof(5, 5)
    with pytest.raises(ValueError):
        log.consistency_proof(4, 6)
    with pytest.raises(ValueError):
        log.consistency_proof(4, 3)
    with pytest.raises(IndexError):
        log.leaf_hash(5)


def test_append_rejects_values_that_are_not_32_byte_hashes() -> None:
    with pytest.raises(ValueError):
        MerkleLog().append(b"short")


def test_proofs_over_a_hundred_thousand_leaves_need_only_logarithmic_lookups() -> None:
    store = CountingStore()
    log = MerkleLog(store)
    for index in range(100_003):
        log.append(hashlib.sha256(index.to_bytes(4, "big")).digest())
    bound = 2 * log.size.bit_length()
    checks = [
        (lambda: log.root(77_777), lambda r: True),
        (
            lambda: log.inclusion_proof(12_345, 99_999),
            lambda p: verify_inclusion(log.leaf_hash(12_345), 12_345, 99_999, p, log.root(99_999)),
        ),
        (
            lambda: log.consistency_proof(65_537, 100_003),
            lambda p: verify_consistency(65_537, 100_003, log.root(65_537), log.root(), p),
        ),
    ]
    for compute, verify in checks:
        store.gets = 0
        result = compute()
        assert store.gets <= bound
        assert verify(result)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=70))
def test_random_proofs_match_the_recursive_definitions_and_verify(
    data: st.DataObject, size: int
) -> None:
    entries = [data.draw(st.binary(max_size=8)) for _ in range(size)]
    log = log_of(entries)
    second = data.draw(st.integers(min_value=1, max_value=size))
    first = data.draw(st.integers(min_value=1, max_value=second))
    index = data.draw(st.integers(min_value=0, max_value=second - 1))
    path = log.inclusion_proof(index, second)
    assert path == ref_path(index, entries[:second])
    assert verify_inclusion(
        leaf_hash(entries[index]), index, second, path, ref_mth(entries[:second])
    )
    proof = log.consistency_proof(first, second)
    expected = [] if first == second else ref_proof(first, entries[:second])
    assert proof == expected
    assert verify_consistency(first, second, log.root(first), log.root(second), proof)
