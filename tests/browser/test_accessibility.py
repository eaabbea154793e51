"""Gate 2: every page passes axe-core's WCAG 2.1 A and AA rules in Chromium, reflows at
320 px without sideways scrolling, and can be used with the keyboard: the skip link comes
first and every focusable element shows a visible focus ring.

Each page is opened once and all three checks run on it (the session fixture `audit`);
the three tests then report their own kind of problem.
"""

from __future__ import annotations

import pytest

from tests.quality.checkers import axe_source

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}

DESCRIBE = """el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.textContent && el.textContent.trim() ? ' "' + el.textContent.trim().slice(0, 40) + '"'
   : el.name ? ' name=' + el.name : '')"""

# Focus each focusable element the way the keyboard would (after a real Tab, so Chromium
# treats focus as keyboard focus and :focus-visible applies) and read its focus ring.
FOCUS_RINGS = """() => {
  const describe = """ + DESCRIBE + """;
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]),' +
    ' select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  const missing = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.getClientRects().length === 0) continue;  // not shown, not reachable
    el.focus();
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) ||
      s.boxShadow !== 'none';
    if (!ring) missing.push(describe(el));
  }
  const jumps = [...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0)
    .map(describe);
  return {missing, jumps};
}"""

TOO_WIDE = """w => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > w + 1)
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def _where(rendered) -> str:
    case = rendered.case
    return f"{case.role} {case.method} {case.path} ({case.name})"


def axe_violations(page) -> list[str]:
    """Run axe-core in `page` on the WCAG 2.1 A and AA rules: one line per failing node."""
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            f"{' '.join(node['target'])}\n    {node['failureSummary'].replace(chr(10), ' ')}"
            for violation in results["violations"] for node in violation["nodes"]]


def keyboard_problems(page) -> list[str]:
    page.keyboard.press("Tab")
    first = page.evaluate(f"() => ({DESCRIBE})(document.activeElement)")
    problems = [] if "Skip to content" in first else [
        f"the first Tab stop is {first}, not the skip link"]
    rings = page.evaluate(FOCUS_RINGS)
    problems += [f"no visible focus on {what}" for what in rings["missing"]]
    problems += [f"a positive tabindex changes the Tab order at {what}"
                 for what in rings["jumps"]]
    return problems


def width_problem(page) -> str | None:
    page.set_viewport_size(NARROW)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= NARROW["width"]:
        return None
    return f"{width} px wide at 320 px; too wide: {page.evaluate(TOO_WIDE, NARROW['width'])}"


@pytest.fixture
def show(browser, live_server):
    """Show captured page HTML in one Chromium tab at a URL of the live server (so its CSS
    loads), with axe-core loaded.

    The tab is opened once and each page replaces the document (`set_content`, i.e.
    document.write): the window, and axe-core with it, stays, which makes a page about four
    times cheaper than opening a tab and parsing axe-core's 500 KB again for each."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, viewport=WIDE)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    url = f"{live_server.url}/__captured__/"
    tab.route(url, lambda route: route.fulfill(body="<!doctype html><title>-</title>",
                                               content_type="text/html; charset=utf-8"))
    tab.goto(url)

    def _show(html: str):
        tab.set_viewport_size(WIDE)
        tab.set_content(html)
        if tab.evaluate("typeof axe") != "object":
            tab.evaluate(axe_source())
        return tab

    yield _show
    context.close()


@pytest.fixture
def audit(rendered_pages, show) -> dict[str, list[str]]:
    """Every page opened once: axe, then the keyboard, then the 320 px width."""
    report = {"axe": [], "keyboard": [], "width": []}
    for rendered in rendered_pages:
        page = show(rendered.html)
        where = _where(rendered)
        report["axe"] += [f"{where}: {line}" for line in axe_violations(page)]
        report["keyboard"] += [f"{where}: {line}" for line in keyboard_problems(page)]
        problem = width_problem(page)
        if problem:
            report["width"].append(f"{where}: {problem}")
    return report


def test_every_page_passes_axe_wcag_21_aa_fits_320_px_and_works_by_keyboard(audit):
    sections = {"axe-core found WCAG 2.1 A/AA violations": audit["axe"],
                "keyboard problems": audit["keyboard"],
                "pages that scroll sideways on a phone": audit["width"]}
    report = [f"{title}:\n" + "\n".join(lines) for title, lines in sections.items() if lines]
    assert not report, "\n\n".join(report)


def test_axe_reports_an_unlabelled_field(rendered_pages, show):
    html = rendered_pages[0].html.replace("</main>", '<input name="unlabelled"></main>')
    assert any(line.startswith("label ") for line in axe_violations(show(html)))


def test_the_keyboard_check_reports_a_missing_focus_ring(rendered_pages, show):
    html = rendered_pages[0].html.replace(
        "</main>", '<a href="/x" class="no-ring">plain</a></main>').replace(
        "</head>", "<style>.no-ring:focus, .no-ring:focus-visible "
                   "{ outline: none !important; box-shadow: none !important }</style></head>")
    problems = keyboard_problems(show(html))
    assert any('a "plain"' in problem for problem in problems)


def test_the_width_check_reports_a_wide_page(rendered_pages, show):
    html = rendered_pages[0].html.replace(
        "</main>", '<img alt="" src="data:," width="900" height="1"></main>')
    assert "too wide" in (width_problem(show(html)) or "")


def test_each_page_is_shown_with_the_stylesheet_and_judged_on_its_own(rendered_pages, show):
    """Pages replace each other in one tab: our CSS applies to each, and a problem of one
    page is not reported on the next."""
    broken = rendered_pages[0].html.replace("</main>", '<input name="unlabelled"></main>')
    assert axe_violations(show(broken))
    page = show(rendered_pages[0].html)
    assert not axe_violations(page)
    assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position"
                         ) == "absolute"
    assert not keyboard_problems(page)
