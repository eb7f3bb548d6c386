"""The pages' templates and stylesheet are package data, so a non-editable install (a
wheel) serves them too: every such file matches a glob of pyproject's package-data."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "schulhof"


def test_every_template_and_stylesheet_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs: list[str] = config["tool"]["setuptools"]["package-data"]["schulhof"]
    files = [
        p.relative_to(PACKAGE).as_posix()
        for p in (PACKAGE / "web" / "signin").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    ]
    assert files
    missing = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
