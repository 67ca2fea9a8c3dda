"""In-process API fixtures (those of tests/interfaces/api) and a negotiating case to act on."""

from tests.interfaces.api.conftest import (  # noqa: F401 - fixtures are found by name
    api,
    client,
    principals,
    settings,
    system,
    tokens,
)
from tests.reliability.scenes import scene, who  # noqa: F401
