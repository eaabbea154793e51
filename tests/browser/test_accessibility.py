"""Gate 2: every page passes axe-core's WCAG 2.1 A and AA rules in Chromium, reflows at
320 px without sideways scrolling, and can be walked with the keyboard with visible focus."""

from __future__ import annotations

import pytest

from tests.quality.checkers import axe_source

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW = {"width": 320, "height": 640}
TABS = 25  # focus stops checked per page

FOCUS_STOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {
    what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
          (el.textContent ? ' "' + el.textContent.trim().slice(0, 40) + '"' : ''),
    visible: outline || style.boxShadow !== 'none',
  };
}"""


@pytest.fixture
def show(browser, live_server):
    """Open captured page HTML at a URL of the live server (so its CSS loads), in Chromium."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(10_000)
    opened = []

    def _show(index: int, html: str, viewport=None):
        page = context.new_page()
        if viewport:
            page.set_viewport_size(viewport)
        url = f"{live_server.url}/__captured__/{index}"
        page.route(url, lambda route: route.fulfill(body=html, status=200,
                                                    content_type="text/html; charset=utf-8"))
        page.goto(url)
        opened.append(page)
        return page

    yield _show
    context.close()


def _where(page) -> str:
    case = page.case
    return f"{case.role} {case.method} {case.path} ({case.name})"


def axe_violations(page) -> list[str]:
    """Run axe-core in `page` on the WCAG 2.1 A and AA rules: one line per failing node."""
    page.evaluate(axe_source())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            f"{' '.join(node['target'])}\n    {node['failureSummary'].replace(chr(10), ' ')}"
            for violation in results["violations"] for node in violation["nodes"]]


def test_every_page_passes_axe_wcag_21_aa(rendered_pages, show):
    report = []
    for index, rendered in enumerate(rendered_pages):
        page = show(index, rendered.html)
        report.extend(f"{_where(rendered)}: {line}" for line in axe_violations(page))
        page.close()
    assert not report, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(report)


def test_axe_reports_an_unlabelled_field(rendered_pages, show):
    html = rendered_pages[0].html.replace("</main>", '<input name="unlabelled"></main>')
    assert any(line.startswith("label ") for line in axe_violations(show(0, html)))


def test_every_page_fits_a_320_px_screen(rendered_pages, show):
    report = []
    for index, rendered in enumerate(rendered_pages):
        page = show(index, rendered.html, viewport=NARROW)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w)
                .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' +
                  e.className : ''))""", NARROW["width"])
            report.append(f"{_where(rendered)}: {width} px wide at 320 px; too wide: {wide}")
        page.close()
    assert not report, "pages that scroll sideways on a phone:\n" + "\n".join(report)


def test_every_page_is_walkable_by_keyboard_with_visible_focus(rendered_pages, show):
    report = []
    for index, rendered in enumerate(rendered_pages):
        page = show(index, rendered.html)
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUS_STOP)
        if not first or "Skip to content" not in first["what"]:
            report.append(f"{_where(rendered)}: the first Tab stop is {first}, not the skip "
                          "link")
        for _ in range(TABS):
            stop = page.evaluate(FOCUS_STOP)
            if stop and not stop["visible"]:
                report.append(f"{_where(rendered)}: no visible focus on {stop['what']}")
            page.keyboard.press("Tab")
        page.close()
    assert not report, "keyboard problems:\n" + "\n".join(report)
