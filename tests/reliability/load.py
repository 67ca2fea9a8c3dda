"""Concurrent write load over HTTP that records every acknowledged command."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from tests.reliability.invariants import Ack

EVERYONE = {"user_classes": ["*"], "jurisdictions": ["*"]}
FOREIGN = {"user_classes": ["foreign_national"], "jurisdictions": ["*"]}
NARROWER = {"user_classes": ["foreign_national"], "jurisdictions": ["CN"]}
OUTCOMES = ("overturned", "modified", "upheld", "withdrawn")


@dataclass(frozen=True)
class Parties:
    """Bearer tokens of the case's parties."""

    provider: str
    regulator: str
    adjudicator: str


class ServerGone(Exception):  # noqa: N818 - a signal to stop, not a failure
    """The connection failed: the server is down."""


class Refused(Exception):  # noqa: N818 - recorded as unexpected, ends the current chain
    """The server answered something other than success."""


class WriteLoad:
    """Threads that register, suspend, restore, issue, appeal and decide until stopped."""

    def __init__(self, base_url: str, parties: Parties, operational: int, workflows: int):
        self.base_url = base_url
        self.parties = parties
        self.run = uuid.uuid4().hex[:8]
        self.acks: list[Ack] = []
        self.unexpected: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._guard, args=(self._operational, i), daemon=True)
            for i in range(operational)
        ] + [
            threading.Thread(target=self._guard, args=(self._workflow, i), daemon=True)
            for i in range(workflows)
        ]

    # --- control ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every thread."""
        for t in self.threads:
            t.start()

    def wait_for_acks(self, count: int, timeout: float, kinds: Collection[str] = ()) -> int:
        """Block until `count` commands, among them one of each of `kinds`, were acknowledged
        (or timeout); how many were."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (
            len(self.acks) < count or not set(kinds) <= self.kinds()
        ):
            time.sleep(0.02)
        return len(self.acks)

    def kinds(self) -> set[str]:
        """The kinds of command acknowledged so far."""
        with self.lock:
            return {a.command for a in self.acks}

    def stop(self) -> None:
        """Ask every thread to stop and wait for them."""
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)

    # --- requests --------------------------------------------------------------------------------

    def _client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def _post(self, client: httpx.Client, command: str, path: str, body: Any) -> dict[str, Any]:
        if self.stopping.is_set():
            raise ServerGone
        try:
            response = client.post(path, json=body)
        except httpx.TransportError:
            raise ServerGone from None
        if response.status_code not in (200, 201):
            with self.lock:
                self.unexpected.append(f"{command} {path}: {response.status_code} {response.text}")
            raise Refused
        answer: dict[str, Any] = response.json()
        ack = Ack(command, UUID(answer["id"]), answer["version"], answer["position"])
        with self.lock:
            self.acks.append(ack)
        return answer

    def _guard(self, loop: Callable[[int], None], index: int) -> None:
        try:
            loop(index)
        except ServerGone:
            return
        except Exception as e:  # a thread must not die silently: the test reports it
            with self.lock:
                self.unexpected.append(f"{loop.__name__} {index} failed: {e!r}")

    # --- the loops -------------------------------------------------------------------------------

    def _register(self, client: httpx.Client, name: str) -> str:
        body = {"name": name, "description": "reliability load"}
        return str(self._post(client, "register", "/v1/models", body)["id"])

    def _operational(self, index: int) -> None:
        """A provider registering models and switching them off and on again."""
        with self._client(self.parties.provider) as provider:
            for n in itertools.count():
                try:
                    model = self._register(provider, f"op-{self.run}-{index}-{n}")
                    for _ in range(2):
                        act = {"scope": FOREIGN, "reason": "load"}
                        self._post(provider, "suspend", f"/v1/models/{model}/suspensions", act)
                        self._post(provider, "restore", f"/v1/models/{model}/restorations", act)
                except Refused:
                    continue

    def _workflow(self, index: int) -> None:
        """A whole case, over and over: directive, appeal, stay, decision or withdrawal."""
        p = self.parties
        with (
            self._client(p.provider) as provider,
            self._client(p.regulator) as regulator,
            self._client(p.adjudicator) as court,
        ):
            for n in itertools.count():
                try:
                    self._case(provider, regulator, court, f"{self.run}-{index}-{n}", index + n)
                except Refused:
                    continue

    def _case(
        self,
        provider: httpx.Client,
        regulator: httpx.Client,
        court: httpx.Client,
        name: str,
        turn: int,
    ) -> None:
        model = self._register(provider, f"wf-{name}")
        directive = self._post(
            regulator,
            "issue",
            "/v1/directives",
            {
                "reference": f"REL-{name}",
                "provider": "anthropic",
                "model_ids": [model],
                "scope": FOREIGN,
                "authority": "reliability",
                "grounds": "load",
            },
        )["id"]
        appeal = self._post(
            provider,
            "file",
            "/v1/appeals",
            {
                "directive_id": directive,
                "grounds": "g",
                "requested_relief": "r",
                "stay_requested": True,
            },
        )["id"]
        self._post(court, "stay", f"/v1/appeals/{appeal}/stay", {"granted": True, "reason": "s"})
        outcome = OUTCOMES[turn % len(OUTCOMES)]
        if outcome == "withdrawn":
            self._post(provider, "withdraw", f"/v1/appeals/{appeal}/withdrawal", {"reason": "w"})
            return
        decision: dict[str, Any] = {"outcome": outcome, "reasons": "load"}
        if outcome == "modified":
            decision["new_scope"] = NARROWER
        self._post(court, "decide", f"/v1/appeals/{appeal}/decision", decision)
