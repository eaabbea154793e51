"""The board's summary chart: one stacked bar per fiscal year, a segment per status, drawn
on the server as SVG. No script and no style attributes (the CSP forbids them): colours
come from CSS classes (static/style.css), every bar is labelled in text, and the chart
has a title and a description; the page carries the same figures as a table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from coalition.actions.board import YearSummary, percent

ROW_H, BAR_TOP, BAR_H = 54, 22, 22
MIN_LABELLED = 7.0  # percent of the width a segment needs to carry its count
ELEMENTS = frozenset({"svg", "title", "desc", "text", "rect", "g"})


def el(name: str, content: object = None, **attributes: object) -> Markup:
    """One SVG element, its attribute values and text escaped (`class_` → class,
    `text_anchor` → text-anchor)."""
    if name not in ELEMENTS:
        raise ValueError(f"not an element the chart draws: {name!r}")
    attrs = Markup("").join(
        Markup(' {}="{}"').format("class" if key == "class_" else key.replace("_", "-"), value)
        for key, value in attributes.items() if value is not None)
    if content is None:
        return Markup("<{}{} />").format(name, attrs)
    if not isinstance(content, Markup):
        content = escape(content)
    return Markup("<{0}{1}>{2}</{0}>").format(name, attrs, content)


def _join(parts: Iterable[Markup]) -> Markup:
    return Markup("").join(parts)


def year_heading(summary: YearSummary) -> str:
    """FY16 (closed) · 12 items · 40% done"""
    name = f"{summary.label} (closed)" if summary.is_closed else summary.label
    if not summary.total:
        return f"{name} · no items"
    items = "1 item" if summary.total == 1 else f"{summary.total} items"
    return f"{name} · {items} · {percent(summary.share_done)} done"


def _bar(index: int, summary: YearSummary, largest: int) -> Markup:
    y = index * ROW_H
    parts = [el("text", year_heading(summary), x=0, y=y + 15, class_="chart-heading"),
             el("rect", x=0, y=y + BAR_TOP, width="100%", height=BAR_H,
                class_="chart-track")]
    start = 0.0
    for count in summary.counts:
        if not count.count:
            continue
        width = 100 * count.count / largest
        parts.append(el("rect", x=f"{start:.2f}%", y=y + BAR_TOP, width=f"{width:.2f}%",
                        height=BAR_H, class_=f"chart-segment chart-{count.status}"))
        if width >= MIN_LABELLED:
            parts.append(el("text", count.count, x=f"{start + width / 2:.2f}%",
                            y=y + BAR_TOP + 16, text_anchor="middle",
                            class_=f"chart-count chart-count-{count.status}"))
        start += width
    return el("g", _join(parts), class_="chart-year")


def description(summaries: Sequence[YearSummary]) -> str:
    """What the chart shows, in words, year by year."""
    if not any(summary.total for summary in summaries):
        return "The plan has no items yet."
    years = []
    for summary in summaries:
        counts = ", ".join(f"{c.count} {c.label.lower()}" for c in summary.counts if c.count)
        years.append(f"{year_heading(summary)}" + (f": {counts}" if counts else ""))
    return ("Stacked bars, one per fiscal year, each split by status (planned, in "
            "progress, done, blocked, dropped); longer bars have more items. "
            + "; ".join(years) + ". The table gives the same figures.")


def summary_chart(summaries: Sequence[YearSummary], chart_id: str = "summary-chart"
                  ) -> Markup:
    """One bar per fiscal year; each bar's length is its number of items against the
    busiest year's, split into a segment per status with its count written in it."""
    largest = max((summary.total for summary in summaries), default=0) or 1
    height = max(len(summaries), 1) * ROW_H
    body = [el("title", "Items by status in each fiscal year", id=f"{chart_id}-title"),
            el("desc", description(summaries), id=f"{chart_id}-desc"),
            *(_bar(index, summary, largest) for index, summary in enumerate(summaries))]
    return el("svg", _join(body), id=chart_id, role="img",
              aria_labelledby=f"{chart_id}-title", aria_describedby=f"{chart_id}-desc",
              class_="chart status-chart", width="100%", height=height)
