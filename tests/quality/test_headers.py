"""Gate 4: every page carries the security headers, safe cookies, and no inline code."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.quality.catalog import ANONYMOUS, Rendered

REQUIRED_CSP = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'",
                "form-action 'self'")


class InlineCodeFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block (or what would need it)."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.problems.append(f"line {line}: inline <script>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"line {line}: style attribute on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"line {line}: event handler {name} on <{tag}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"line {line}: javascript: URL in {name} of <{tag}>")


def page_problems(page: Rendered) -> list[str]:
    problems = []
    csp = page.header("Content-Security-Policy") or ""
    for directive in REQUIRED_CSP:
        if directive not in csp:
            problems.append(f"Content-Security-Policy lacks {directive!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append("Content-Security-Policy allows unsafe-inline or unsafe-eval")
    expected = {"X-Content-Type-Options": {"nosniff"}, "X-Frame-Options": {"DENY"},
                "Referrer-Policy": {"strict-origin-when-cross-origin", "no-referrer"}}
    for name, allowed in expected.items():
        if page.header(name) not in allowed:
            problems.append(f"{name} is {page.header(name)!r}, expected one of {allowed}")
    for cookie in page.headers_named("Set-Cookie"):
        name = cookie.split("=", 1)[0]
        if "HttpOnly" not in cookie:
            problems.append(f"cookie {name} is not HttpOnly")
        if "SameSite=Lax" not in cookie and "SameSite=Strict" not in cookie:
            problems.append(f"cookie {name} has no SameSite=Lax or Strict")
    if page.case.role != ANONYMOUS and "no-store" not in (page.header("Cache-Control") or ""):
        problems.append("a signed-in page may be cached (Cache-Control lacks no-store)")
    finder = InlineCodeFinder()
    finder.feed(page.html)
    problems.extend(finder.problems)
    return problems


def test_every_page_has_security_headers_and_no_inline_code(rendered_pages):
    report = []
    for page in rendered_pages:
        for problem in page_problems(page):
            case = page.case
            report.append(f"{case.role} {case.method} {case.path} ({case.name}): {problem}")
    assert not report, "security gate:\n" + "\n".join(report)


def test_the_checker_notices_inline_code():
    finder = InlineCodeFinder()
    finder.feed('<p style="color:red" onclick="x()">a</p><script>alert(1)</script>'
                '<a href="javascript:alert(1)">b</a><script src="/static/ok.js"></script>')
    assert len(finder.problems) == 4
