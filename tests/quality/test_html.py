"""Gate 1: every page is valid HTML, as the Nu HTML Checker (vnu) judges it."""

from __future__ import annotations

import json
import re
import subprocess

from tests.quality.checkers import VNU_JAR, java


def _file_name(index: int, name: str) -> str:
    return f"{index:03d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.html"


def test_every_page_is_valid_html(rendered_pages, tmp_path):
    java_path = java()
    files = {}
    for index, page in enumerate(rendered_pages):
        path = tmp_path / _file_name(index, page.case.name)
        path.write_text(page.html, encoding="utf-8")
        files[path.name] = page
    # One batch call for every page: starting the JVM is the slow part.
    result = subprocess.run(
        [java_path, "-jar", str(VNU_JAR), "--format", "json", "--errors-only",
         *sorted(str(tmp_path / name) for name in files)],
        capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    problems = []
    for message in report["messages"]:
        page = files.get(message.get("url", "").rsplit("/", 1)[-1])
        where = (f"{page.case.role} {page.case.method} {page.case.path} ({page.case.name})"
                 if page else message.get("url"))
        problems.append(f"{where}, line {message.get('lastLine', '?')}: "
                        f"{message['type']}: {message['message']}"
                        f"\n    {message.get('extract', '').strip()}")
    assert not problems, "the Nu HTML Checker found errors:\n" + "\n".join(problems)
    assert result.returncode == 0, result.stderr
