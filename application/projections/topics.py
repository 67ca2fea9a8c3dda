"""What a stored topic names, worked out once per distinct topic rather than once per event."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=256)
def topic_parts(topic: str) -> tuple[str, str]:
    """(`model`/`directive`/`appeal`, event class name): `Item.kind` and `Item.name`."""
    return topic.split(".", 1)[1].split(":", 1)[0], topic.rsplit(":", 1)[1]
