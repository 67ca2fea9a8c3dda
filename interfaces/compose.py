"""The composition root shared by the API, the CLI and the pages: settings → System."""

from __future__ import annotations

from application.ledger.signing import load_or_create_key
from application.persistence.store import parse_url
from application.system import System
from interfaces.settings import Settings


def build_system(settings: Settings, follow: bool) -> System:
    """The System the settings describe, signing tree heads with the configured key.

    A following System (one that keeps the views current) also runs the scheduler.
    """
    system = System(
        parse_url(settings.database_url),
        response_days=settings.response_days,
        follow=follow,
        signing_key=load_or_create_key(settings.signing_key_path),
        tree_head_every=settings.tree_head_every,
    )
    if follow:
        system.schedule(settings.schedule_every)
    return system
