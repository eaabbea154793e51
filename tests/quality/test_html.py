"""Gate 1: every page is valid HTML, as the Nu HTML Checker (vnu) judges it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.quality.checkers import VNU_JAR, java


def vnu_errors(files: list[Path]) -> list[dict]:
    """The checker's error messages for `files`, in one batch call (the JVM start is slow)."""
    result = subprocess.run(
        [java(), "-jar", str(VNU_JAR), "--format", "json", "--errors-only",
         *map(str, files)], capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(result.stderr or result.stdout)
    errors = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors or result.returncode == 0, f"vnu failed without messages: {result.stderr}"
    return errors


def _file_name(index: int, name: str) -> str:
    return f"{index:03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"


def test_every_page_is_valid_html(rendered_pages, tmp_path):
    files = {}
    for index, page in enumerate(rendered_pages):
        path = tmp_path / _file_name(index, page.case.name)
        path.write_text(page.html, encoding="utf-8")
        files[path.name] = page
    problems = []
    for message in vnu_errors(sorted(tmp_path / name for name in files)):
        page = files.get(message.get("url", "").rsplit("/", 1)[-1])
        where = (f"{page.case.role} {page.case.method} {page.case.path} ({page.case.name})"
                 if page else message.get("url"))
        problems.append(f"{where}, line {message.get('lastLine', '?')}: {message['message']}"
                        f"\n    {message.get('extract', '').strip()}")
    assert not problems, "the Nu HTML Checker found errors:\n" + "\n".join(problems)


def test_the_checker_reports_a_duplicate_id(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><html lang="en"><head><meta charset="utf-8">'
                    '<title>t</title></head><body><p id="a">1</p><p id="a">2</p></body></html>')
    [error] = vnu_errors([page])
    assert "Duplicate ID" in error["message"] and error["lastLine"] == 1
