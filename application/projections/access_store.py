"""The access view's working state for one batch: read once, written at the end."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from application.persistence.database import Cursor
from application.projections.access_facts import (
    ACTS,
    FACTS,
    LINKS,
    MENTIONS,
    RETIREMENTS,
    SPAN_COLUMNS,
    SPANS,
    encode,
    read_facts,
)
from application.projections.acts import Fact
from application.projections.spans import Span
from domain.scope import WILDCARD, Scope


class CurrentSpans:
    """A directive's spans as last recorded, with the position each was recorded at."""

    def __init__(self, issued: int, spans: dict[Span, int]) -> None:
        self.issued = issued
        self.spans = spans


class FactStore:
    """The view's state as of the batch being applied: read once, written at the end.

    Everything read is read before this batch writes to it, and then kept in step with
    what the batch adds, so the writes can wait for `flush()` (a few `executemany` calls).
    """

    def __init__(self, cur: Cursor) -> None:
        self.cur = cur
        self._directives: dict[str, list[Fact]] = {}
        self._links: dict[str, set[str]] = {}
        self._grids: dict[str, tuple[set[str], set[str]] | None] = {}
        self._spans: dict[str, CurrentSpans] = {}
        self._rows: dict[str, list[tuple[Any, ...]]] = {
            FACTS: [],
            LINKS: [],
            MENTIONS: [],
            ACTS: [],
            RETIREMENTS: [],
            SPANS: [],
        }
        self._closes: list[tuple[Any, ...]] = []

    # --- reads, cached for the batch -----------------------------------------------------------

    def directive(self, directive_id: str) -> list[Fact]:
        """A directive's facts in log order (`Issued` first)."""
        facts = self._directives.get(directive_id)
        if facts is None:
            facts = self._directives[directive_id] = read_facts(self.cur, directive_id)
        return facts

    def links(self, directive_id: str) -> set[str]:
        """Every model the directive has ever listed."""
        linked = self._links.get(directive_id)
        if linked is None:
            self.cur.execute(f"SELECT model_id FROM {LINKS} WHERE directive_id=?", (directive_id,))
            linked = self._links[directive_id] = {r["model_id"] for r in self.cur.fetchall()}
        return linked

    def grid(self, model_id: str) -> tuple[set[str], set[str]] | None:
        """The values mentioned for a model (None: the model is not registered)."""
        if model_id not in self._grids:
            self.cur.execute(f"SELECT axis, value FROM {MENTIONS} WHERE model_id=?", (model_id,))
            rows = self.cur.fetchall()
            classes = {r["value"] for r in rows if r["axis"] == "user_class"}
            places = {r["value"] for r in rows if r["axis"] != "user_class"}
            self._grids[model_id] = (classes, places) if rows else None
        return self._grids[model_id]

    def current_spans(self, directive_id: str, issued: int) -> CurrentSpans:
        """The directive's spans as currently recorded."""
        current = self._spans.get(directive_id)
        if current is None:
            self.cur.execute(
                f"SELECT {SPAN_COLUMNS} FROM {SPANS} WHERE directive_id=? AND recorded_to IS NULL",
                (directive_id,),
            )
            spans = {
                Span(
                    r["valid_from"],
                    r["valid_to"],
                    r["model_ids"],
                    r["classes"],
                    r["places"],
                    r["restricts"],
                    r["basis"],
                ): r["recorded_from"]
                for r in self.cur.fetchall()
            }
            current = self._spans[directive_id] = CurrentSpans(issued, spans)
        return current

    # --- writes, held until flush ---------------------------------------------------------------

    def add(self, fact: Fact, kind: str) -> None:
        """Record one fact of a model or a directive."""
        if kind == "directive":
            self.directive(fact.owner_id).append(fact)
        self._rows[FACTS].append(encode(fact))
        if fact.name == "Registered":
            self._grids[fact.owner_id] = (set(), set())
        elif fact.name in ("Suspended", "Restored") and fact.scope is not None:
            flag = int(fact.name == "Suspended")
            when = fact.effective_stamp
            self._rows[ACTS] += [
                (fact.owner_id, u, j, when, fact.position, flag)
                for u in fact.scope.user_classes
                for j in fact.scope.jurisdictions
            ]
        elif fact.name == "Retired":
            self._rows[RETIREMENTS].append((fact.owner_id, fact.position, fact.effective_stamp))

    def link(self, model_id: str, directive_id: str, position: int) -> bool:
        """Note that a directive lists a model; True when it is the first time."""
        linked = self.links(directive_id)
        if model_id in linked:
            return False
        self._rows[LINKS].append((model_id, directive_id, position))
        linked.add(model_id)
        return True

    def mention(self, model_id: str, scopes: Iterable[Scope], position: int) -> None:
        """Add the scopes' values (and `*`) to the model's grid."""
        grid = self.grid(model_id)
        if grid is None:
            return
        model_classes, model_places = grid
        classes = {WILDCARD} - model_classes
        places = {WILDCARD} - model_places
        for scope in scopes:
            classes.update(v for v in scope.user_classes if v not in model_classes)
            places.update(v for v in scope.jurisdictions if v not in model_places)
        if not classes and not places:
            return
        self._rows[MENTIONS] += [(model_id, "user_class", v, position) for v in sorted(classes)]
        self._rows[MENTIONS] += [(model_id, "jurisdiction", v, position) for v in sorted(places)]
        model_classes |= classes
        model_places |= places

    def replace_spans(self, directive_id: str, spans: Sequence[Span], position: int) -> None:
        """Record the directive's spans as of `position`: close those gone, open those new."""
        facts = self.directive(directive_id)
        current = self.current_spans(directive_id, facts[0].position)
        fresh = set(spans)
        for span, recorded_from in list(current.spans.items()):
            if span not in fresh:
                self._closes.append((position, directive_id, span.valid_from, recorded_from))
                del current.spans[span]
        for span in spans:
            if span not in current.spans:
                current.spans[span] = position
                self._rows[SPANS].append(
                    (
                        directive_id,
                        current.issued,
                        span.valid_from,
                        span.valid_to,
                        position,
                        None,
                        *span[2:],
                    )
                )

    def flush(self) -> None:
        """Write everything the batch added."""
        for table, rows in self._rows.items():
            if rows:
                marks = ",".join("?" * len(rows[0]))
                self.cur.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
                rows.clear()
        self.cur.executemany(
            f"UPDATE {SPANS} SET recorded_to=? WHERE directive_id=? AND valid_from=? "
            "AND recorded_from=?",
            self._closes,
        )
        self._closes.clear()
