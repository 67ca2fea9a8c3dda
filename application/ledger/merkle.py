"""RFC 9162 (RFC 6962) Merkle tree hashing, proofs and proof verification.

Nodes are addressed as (level, index): the level-k node at index i is the hash of the
complete subtree covering leaves [i * 2**k, (i + 1) * 2**k). Level 0 holds the leaf hashes.
Only complete subtrees are ever stored, so a stored node never changes once written; the
hash of any tree size is derived from O(log n) stored nodes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

LeafHashSource = Callable[[int, int], Sequence[bytes]]


class MissingSubtreeError(LookupError):
    """A complete subtree hash needed for a computation is absent from the store."""


class SubtreeStore(Protocol):
    """Storage of complete subtree hashes keyed by (level, index)."""

    def get(self, level: int, index: int) -> bytes | None:
        """Return the stored hash of node (level, index), or None if absent."""
        ...

    def put(self, level: int, index: int, hash_: bytes) -> None:
        """Store the hash of the complete node (level, index)."""
        ...


class InMemorySubtreeStore:
    """A SubtreeStore backed by a dict keyed by (level, index)."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes | None:
        """Return the stored hash of node (level, index), or None if absent."""
        return self._nodes.get((level, index))

    def put(self, level: int, index: int, hash_: bytes) -> None:
        """Store the hash of the complete node (level, index)."""
        self._nodes[(level, index)] = hash_

    def __len__(self) -> int:
        return len(self._nodes)


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _check_hash(value: bytes) -> bytes:
    if not _is_hash(value):
        raise ValueError(f"expected a {HASH_SIZE}-byte hash")
    return value


def _check_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value


def _split(n: int) -> int:
    """Return the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _get(store: SubtreeStore, level: int, index: int) -> bytes:
    value = store.get(level, index)
    if value is None:
        raise MissingSubtreeError(f"subtree (level={level}, index={index}) is not stored")
    return value


def _pieces(store: SubtreeStore, start: int, end: int) -> list[bytes]:
    """Return the complete subtree hashes covering [start, end), largest first."""
    pieces: list[bytes] = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        width = 1 << level
        if (end - start) & width:
            if position % width:
                raise ValueError(f"range [{start}, {end}) is not aligned to its subtrees")
            pieces.append(_get(store, level, position >> level))
            position += width
    return pieces


def _fold(pieces: Sequence[bytes]) -> bytes:
    """Combine complete subtree hashes (largest first) right to left into one tree hash."""
    result = pieces[-1] if pieces else EMPTY_ROOT
    for left in reversed(pieces[:-1]):
        result = node_hash(left, result)
    return result


def _range_hash(store: SubtreeStore, start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) for a range that occurs in the RFC 9162 decomposition."""
    return _fold(_pieces(store, start, end))


def _append(store: SubtreeStore, size: int, leaf: bytes, frontier: list[bytes] | None) -> None:
    store.put(0, size, leaf)
    current, level, index = leaf, 0, size
    while index & 1:
        left = frontier.pop() if frontier is not None else _get(store, level, index - 1)
        current = node_hash(left, current)
        level += 1
        index >>= 1
        store.put(level, index, current)
    if frontier is not None:
        frontier.append(current)


def append_leaf(store: SubtreeStore, size: int, leaf_hash: bytes) -> int:
    """Append a leaf hash at index `size`, storing every newly completed subtree; return size+1."""
    _append(store, _check_int(size, "size"), _check_hash(leaf_hash), None)
    return size + 1


def append_leaves(store: SubtreeStore, size: int, leaf_hashes: Iterable[bytes]) -> int:
    """Append leaf hashes in order starting at index `size`; return the new size."""
    for value in leaf_hashes:
        size = append_leaf(store, size, value)
    return size


def extend_store(
    store: SubtreeStore,
    size: int,
    target_size: int,
    get_leaf_hashes: LeafHashSource,
    batch_size: int = 1024,
) -> int:
    """Append leaves [size, target_size) fetched in batches via get_leaf_hashes(start, stop)."""
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    while size < target_size:
        stop = min(size + batch_size, target_size)
        batch = get_leaf_hashes(size, stop)
        if len(batch) != stop - size:
            raise ValueError(f"expected {stop - size} leaf hashes for [{size}, {stop})")
        size = append_leaves(store, size, batch)
    return size


def root_hash(store: SubtreeStore, tree_size: int) -> bytes:
    """Return MTH of the first tree_size leaves using O(log n) store lookups."""
    return _range_hash(store, 0, _check_int(tree_size, "tree_size"))


def inclusion_proof(store: SubtreeStore, leaf_index: int, tree_size: int) -> list[bytes]:
    """Return PATH(leaf_index, D[tree_size]) as defined in RFC 9162 section 2.1.3.1."""
    _check_int(leaf_index, "leaf_index")
    _check_int(tree_size, "tree_size")
    if leaf_index >= tree_size:
        raise ValueError("leaf_index must be smaller than tree_size")
    path: list[bytes] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = _split(end - start)
        if leaf_index < start + k:
            path.append(_range_hash(store, start + k, end))
            end = start + k
        else:
            path.append(_range_hash(store, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(store: SubtreeStore, first: int, second: int) -> list[bytes]:
    """Return PROOF(first, D[second]) as defined in RFC 9162 section 2.1.4.1."""
    _check_int(first, "first")
    _check_int(second, "second")
    if first > second:
        raise ValueError("first must not exceed second")
    if first == 0 or first == second:
        return []
    proof: list[bytes] = []
    start, end, m, complete = 0, second, first, True
    while True:
        if m == end - start:
            if not complete:
                proof.append(_range_hash(store, start, end))
            break
        k = _split(end - start)
        if m <= k:
            proof.append(_range_hash(store, start + k, end))
            end = start + k
        else:
            proof.append(_range_hash(store, start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def _shift_to_set_bit(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def _well_formed(numbers: Sequence[object], hashes: Iterable[object]) -> bool:
    naturals = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers)
    return naturals and all(_is_hash(h) for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Verify an inclusion proof with the algorithm of RFC 9162 section 2.1.3.2."""
    if not _well_formed((leaf_index, tree_size), (leaf_hash, root, *proof)):
        return False
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _shift_to_set_bit(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Verify a consistency proof with the algorithm of RFC 9162 section 2.1.4.2."""
    if not _well_formed((first, second), (first_root, second_root, *proof)):
        return False
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _shift_to_set_bit(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


class MerkleLog:
    """An append-only Merkle log over a SubtreeStore with a cached frontier for the running root."""

    def __init__(self, store: SubtreeStore | None = None, size: int = 0) -> None:
        self._store: SubtreeStore = store if store is not None else InMemorySubtreeStore()
        self._size = _check_int(size, "size")
        self._frontier = _pieces(self._store, 0, size)
        self._root: bytes | None = None

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def store(self) -> SubtreeStore:
        """The subtree store holding every complete subtree hash."""
        return self._store

    def append(self, leaf_hash: bytes) -> int:
        """Append a leaf hash and return its leaf index."""
        _append(self._store, self._size, _check_hash(leaf_hash), self._frontier)
        self._size += 1
        self._root = None
        return self._size - 1

    def append_data(self, data: bytes) -> int:
        """Hash data as a leaf, append it and return its leaf index."""
        return self.append(leaf_hash(data))

    def leaf_hash(self, leaf_index: int) -> bytes:
        """Return the leaf hash stored at leaf_index."""
        if not 0 <= leaf_index < self._size:
            raise IndexError("leaf_index out of range")
        return _get(self._store, 0, leaf_index)

    def root(self, tree_size: int | None = None) -> bytes:
        """Return the root hash of the tree of the given size (default: current size)."""
        tree_size = self._check_size(tree_size)
        if tree_size != self._size:
            return root_hash(self._store, tree_size)
        if self._root is None:
            self._root = _fold(self._frontier)
        return self._root

    def inclusion_proof(self, leaf_index: int, tree_size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of leaf_index in the tree of the given size."""
        return inclusion_proof(self._store, leaf_index, self._check_size(tree_size))

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Return the consistency proof between tree sizes first and second."""
        return consistency_proof(self._store, first, self._check_size(second))

    def _check_size(self, tree_size: int | None) -> int:
        if tree_size is None:
            return self._size
        _check_int(tree_size, "tree_size")
        if tree_size > self._size:
            raise ValueError(f"tree_size {tree_size} exceeds log size {self._size}")
        return tree_size
