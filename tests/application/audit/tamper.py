"""Direct edits of stored event rows, as someone with write access to the database could make."""

from __future__ import annotations

import uuid
from typing import Any

from application.service import Regledger


class Tamper:
    """Edits the raw events table of one store, bypassing the application."""

    def __init__(self, app: Regledger) -> None:
        self.app = app
        self.db = app.db
        self.table = app.store.events_table
        self.column = "notification_id" if app.db.is_postgres else "rowid"

    def positions(self) -> list[int]:
        """Every stored position, in order."""
        rows = self.db.fetchall(f"SELECT {self.column} AS p FROM {self.table} ORDER BY p")
        return [int(r["p"]) for r in rows]

    def row(self, position: int) -> dict[str, Any]:
        """One stored event's columns."""
        row = self.db.fetchone(
            f"SELECT originator_id, originator_version, topic, state FROM {self.table} "
            f"WHERE {self.column}=?",
            (position,),
        )
        return {k: row[k] for k in ("originator_id", "originator_version", "topic", "state")}

    def _write(self, position: int, row: dict[str, Any]) -> None:
        self.db.execute(
            f"UPDATE {self.table} SET originator_id=?, originator_version=?, topic=?, state=? "
            f"WHERE {self.column}=?",
            (row["originator_id"], row["originator_version"], row["topic"], row["state"], position),
        )

    def change_one_byte(self, position: int) -> None:
        """Change one letter of the stored state (it stays valid JSON)."""
        state = bytearray(self.row(position)["state"])
        index = next(i for i, b in enumerate(state) if i > 1 and chr(b).isalpha())
        state[index] = ord("z") if state[index] != ord("z") else ord("y")
        self.db.execute(
            f"UPDATE {self.table} SET state=? WHERE {self.column}=?", (bytes(state), position)
        )

    def delete(self, position: int) -> None:
        """Remove one stored event."""
        self.db.execute(f"DELETE FROM {self.table} WHERE {self.column}=?", (position,))

    def swap(self, a: int, b: int) -> None:
        """Exchange the contents of two stored events (their positions stay)."""
        row_a, row_b = self.row(a), self.row(b)
        self._write(a, {**row_a, "originator_version": -1})
        self._write(b, row_a)
        self._write(a, row_b)

    def forged_row(self, template: int) -> dict[str, Any]:
        """A plausible event for a new aggregate, modelled on a stored one."""
        row = self.row(template)
        forged = uuid.uuid4()
        return {**row, "originator_id": forged if self.db.is_postgres else forged.hex}

    def insert(self, position: int, row: dict[str, Any]) -> None:
        """Store an event at a free position."""
        self.db.execute(
            f"INSERT INTO {self.table} ({self.column}, originator_id, originator_version, topic, "
            "state) VALUES (?,?,?,?,?)",
            (position, row["originator_id"], row["originator_version"], row["topic"], row["state"]),
        )

    def insert_before(self, position: int, row: dict[str, Any]) -> None:
        """Move every event from `position` on one place later and store `row` at `position`."""
        for p in reversed([p for p in self.positions() if p >= position]):
            self.db.execute(
                f"UPDATE {self.table} SET {self.column}=? WHERE {self.column}=?", (p + 1, p)
            )
        self.insert(position, row)

    def open_gap(self, width: int = 2) -> Any:
        """Make the next saved events skip `width` positions (as a failed insert does).

        Returns a token for `close_gap`, to be called after those events are saved.
        """
        if self.db.is_postgres:
            for _ in range(width):
                self.db.fetchone(f"SELECT nextval('{self.table}_notification_id_seq') AS n")
            return None
        placeholder = self.forged_row(self.positions()[0])
        last = self.app.max_position()
        self.insert(last + width, placeholder)
        return last + width

    def close_gap(self, token: Any) -> None:
        """Remove the placeholder `open_gap` left on SQLite."""
        if token is not None:
            self.delete(token)
