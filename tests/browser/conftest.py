"""A real server on a demo-loaded SQLite store, and headless Chromium to look at its pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import Server as ServeProcess
from tests.reliability.harness import cli, environment, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass(frozen=True)
class Server:
    """A running `regledger serve` and what `regledger demo` recorded in its store."""

    url: str
    demo: dict[str, Any]

    def model_page(self) -> str:
        """The address of Fable 5's page."""
        return f"{self.url}/ui/models/{self.demo['ids']['fable_5']}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`regledger demo` into a fresh SQLite file, then `regledger serve` on a free port."""
    home = tmp_path_factory.mktemp("served")
    env = environment(f"sqlite:///{home}/regledger.db", home)
    demo = cli(env, "demo", "--json")
    if demo.returncode != 0:
        pytest.fail(f"regledger demo failed: {demo.stderr}")
    with running(ServeProcess(env, home)) as process:
        yield Server(process.base_url, json.loads(demo.stdout))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, as installed by the system (never downloaded)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh desktop-sized page; console errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == []


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """Save what the page shows under tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
