"""The composition of one process: the application, its views, and the runner that keeps them."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.context import Clock, utc_now
from application.persistence.store import StoreConfig
from application.projections.ledger import enable_signing
from application.projections.registry import default_views
from application.projections.runner import ProjectionRunner
from application.queries.cache import DecisionCache
from application.scheduler import Scheduler
from application.service import Regledger


class System:
    """One application instance per process, with its projection runner."""

    def __init__(
        self,
        store: StoreConfig,
        clock: Clock = utc_now,
        response_days: Mapping[str, int] | None = None,
        follow: bool = False,
        signing_key: Ed25519PrivateKey | None = None,
        tree_head_every: int = 100,
    ) -> None:
        self.store = store
        self.app = Regledger(store, clock=clock, response_days=response_days)
        self.tracking = self.app.factory.tracking_recorder()
        self.views = default_views()
        if signing_key is not None:
            enable_signing(self.views, signing_key, tree_head_every, clock)
        self.runner = ProjectionRunner(
            self.app.recorder, self.app.mapper, self.app.db, self.tracking, self.views
        )
        self.decisions = DecisionCache()
        self.following = False
        self.scheduler: Scheduler | None = None
        if follow:
            self.follow()

    def follow(self) -> None:
        """Keep the views current in a background thread, woken by every local save."""
        if not self.following:
            self.app.subscribe_saves(self.runner.poke)
            self.runner.start()
            self.following = True

    def schedule(self, every: float) -> None:
        """Record expiries and lapsed deadlines every `every` seconds in a background thread."""
        if self.scheduler is None:
            self.scheduler = Scheduler(self, interval=every)
            self.scheduler.start()

    def close(self) -> None:
        """Stop the scheduler and the runner, and release the store."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.following:
            self.runner.stop()
        self.app.close()
