"""Imports point one way: interfaces → application → domain."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def test_domain_imports_only_the_standard_library_pydantic_and_the_library_domain():
    allowed = {"domain", "pydantic", "__future__"}
    for path, name in _imports("domain"):
        if name.startswith("eventsourcing"):
            assert name == "eventsourcing.domain", f"{path}: {name}"
            continue
        assert _top(name) in allowed or _top(name) in sys.stdlib_module_names, f"{path}: {name}"


@pytest.mark.parametrize("forbidden", ["fastapi", "typer", "starlette", "uvicorn", "interfaces"])
def test_application_never_imports_the_interfaces(forbidden):
    offenders = [f"{p}: {n}" for p, n in _imports("application") if _top(n) == forbidden]
    assert offenders == []


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
            return True
        if isinstance(node, ast.Name) and node.id == "getenv":
            return True
    return False


def test_application_never_reads_the_environment():
    offenders = [str(p) for p in (ROOT / "application").rglob("*.py") if _reads_environment(p)]
    assert offenders == []


@pytest.mark.parametrize(
    ("package", "other"),
    [
        ("api", "cli"),
        ("api", "web"),
        ("cli", "web"),
        ("web", "cli"),
        ("cli", "api"),
        ("web", "api"),
    ],
)
def test_interface_packages_do_not_import_each_other(package, other):
    offenders = [
        f"{p}: {n}"
        for p, n in _imports(f"interfaces/{package}")
        if n.startswith(f"interfaces.{other}")
    ]
    assert offenders == []
