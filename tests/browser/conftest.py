"""A real server on a demo-loaded SQLite store, and headless Chromium to look at its pages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

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
CLI = [sys.executable, "-c", "from interfaces.cli.main import main; main()"]
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Server:
    """A running `regledger serve` and what `regledger demo` recorded in its store."""

    url: str
    demo: dict[str, Any]

    def model_page(self) -> str:
        """The address of Fable 5's page."""
        return f"{self.url}/ui/models/{self.demo['ids']['fable_5']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"regledger serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/ui", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"regledger serve did not answer within {START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`regledger demo` into a fresh SQLite file, then `regledger serve` on a free port."""
    home = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {
        **os.environ,
        "REGLEDGER_DATABASE_URL": f"sqlite:///{home}/regledger.db",
        "REGLEDGER_SIGNING_KEY_PATH": str(home / "ledger-key.pem"),
        "REGLEDGER_PORT": str(port),
        "REGLEDGER_LOG_LEVEL": "warning",
    }
    demo = subprocess.run([*CLI, "demo", "--json"], env=env, capture_output=True)
    if demo.returncode != 0:
        pytest.fail(f"regledger demo failed: {demo.stderr.decode()}")
    log = home / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([*CLI, "serve"], env=env, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield Server(url, json.loads(demo.stdout))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
