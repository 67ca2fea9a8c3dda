"""Storage per event: our whole database (events, views, ledger) against the raw library's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

TOP = 8


def database_bytes(path: Path) -> int:
    """The size of a SQLite database with its write-ahead log folded in."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(pages * size)


def largest_tables(path: Path, top: int = TOP) -> dict[str, int]:
    """Bytes per table or index, largest first (empty if SQLite lacks `dbstat`)."""
    try:
        with sqlite3.connect(path) as conn:
            rows = conn.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?",
                (top,),
            ).fetchall()
    except sqlite3.Error:
        return {}
    return {name: int(size) for name, size in rows}
