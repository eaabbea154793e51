"""Where the third-party checkers live (installed by `make test` from package.json)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from coalition import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"


def unavailable(reason: str) -> None:
    """Skip with the reason, or fail where the checkers are required (CI)."""
    if os.environ.get("COALITION_REQUIRE_CHECKERS") == "1":
        pytest.fail(f"COALITION_REQUIRE_CHECKERS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def java() -> str:
    path = shutil.which("java")
    if path is None:
        unavailable("Java is not installed (the Nu HTML Checker needs it): "
                    "apt-get install default-jre-headless")
    if not VNU_JAR.exists():
        unavailable(f"{VNU_JAR} is missing: run `npm ci` (make test does)")
    return path


def axe_source() -> str:
    if not AXE_JS.exists():
        unavailable(f"{AXE_JS} is missing: run `npm ci` (make test does)")
    return Path(AXE_JS).read_text(encoding="utf-8")
