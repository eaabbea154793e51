"""Server-drawn SVG charts of the balance: a heat map of stakeholder group × region and bar
charts. No script and no style attributes (the CSP forbids them): presentation attributes
only. Each chart has a title and a description; the page carries the same figures as tables.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from coalition.members.balance import GROUPS, REGIONS, SMALL, Balance, Figure

INK = "#1b1f24"
MUTED = "#4a5360"
LINE = "#c9d0d8"
WASH = "#f3f5f7"
BAR = "#0b5394"
TRACK = "#e8edf2"
EMPTY = "#a4161a"
# Light to dark; the text drawn on each keeps a contrast of at least 5.6:1.
SHADES = (("#deebf7", INK), ("#9ecae1", INK), ("#2f6aa8", "#ffffff"), ("#08306b", "#ffffff"))

# Column heads of the heat map, short enough for its columns (the table has the full names).
SHORT_REGIONS = {
    "african": ("African",),
    "asia_pacific": ("Asia-Pacific",),
    "eastern_european": ("Eastern", "European"),
    "latin_american_caribbean": ("Latin America", "& Caribbean"),
    "western_european_others": ("Western Europe", "& Others"),
    "unassigned": ("Unassigned",),
}


ELEMENTS = frozenset({"svg", "title", "desc", "text", "rect", "line"})


def _attrs(attributes: dict[str, object]) -> Markup:
    parts = [Markup(' {}="{}"').format(name.replace("_", "-"), value)
             for name, value in attributes.items() if value is not None]
    return Markup("").join(parts)


def el(name: str, content: object = None, **attributes: object) -> Markup:
    """One SVG element; attribute values and text are escaped (`class_` → class,
    `font_size` → font-size)."""
    if name not in ELEMENTS:
        raise ValueError(f"not an element the charts draw: {name!r}")
    attributes = {("class" if k == "class_" else k): v for k, v in attributes.items()}
    if content is None:
        return Markup("<{}{} />").format(escape(name), _attrs(attributes))
    if not isinstance(content, Markup):
        content = escape(content)
    return Markup("<{0}{1}>{2}</{0}>").format(escape(name), _attrs(attributes), content)


def _join(parts: Iterable[Markup]) -> Markup:
    return Markup("").join(parts)


def _svg(chart_id: str, title: str, description: str, body: Iterable[Markup],
         **size: object) -> Markup:
    """The outer element: an image named by its title and described by its description."""
    return el("svg", _join([el("title", title, id=f"{chart_id}-title"),
                            el("desc", description, id=f"{chart_id}-desc"), *body]),
              id=chart_id, role="img", aria_labelledby=f"{chart_id}-title",
              aria_describedby=f"{chart_id}-desc", class_="chart", **size)


def count_text(figure: Figure, k: int | None) -> str:
    """How a chart writes a number: the count, or why it is not shown."""
    if figure.hidden == SMALL:
        return f"<{k}"
    if figure.hidden:
        return "hidden"
    return str(figure.count)


def spoken(figure: Figure, k: int | None) -> str:
    """How a description says a number."""
    if figure.hidden == SMALL:
        return f"fewer than {k}"
    if figure.hidden:
        return "not shown"
    return f"{figure.count}"


def percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}%"


# --- heat map -------------------------------------------------------------------------

@dataclass(frozen=True)
class Shade:
    fill: str
    text: str
    low: int
    high: int


def shades(maximum: int, minimum: int = 1) -> list[Shade]:
    """The heat map's scale: four steps from the smallest count shown to the largest, each
    with its range."""
    steps = []
    span = maximum - minimum + 1
    for index, (fill, text) in enumerate(SHADES, start=1):
        low = minimum + math.floor(span * (index - 1) / len(SHADES))
        high = minimum + math.floor(span * index / len(SHADES)) - 1
        if low <= high:
            steps.append(Shade(fill, text, low, high))
    return steps


def _shade_of(count: int, scale: Sequence[Shade]) -> Shade:
    return next(shade for shade in scale if shade.low <= count <= shade.high)


LABEL_W, COL_W, HEAD_H, ROW_H = 176, 110, 50, 40


def heat_map(balance: Balance, chart_id: str = "heat-map") -> Markup:
    """Stakeholder groups (rows) × regions (columns), each cell shaded by its count with the
    count written in it; totals in a last row and column."""
    k = balance.min_cell
    counts = [f.count for f in balance.cells.values() if f.count]
    scale = shades(max(counts, default=0), min(counts, default=1))
    columns = [*REGIONS, None]  # None: the total column
    width = LABEL_W + COL_W * len(columns)
    grid_bottom = HEAD_H + ROW_H * (len(GROUPS) + 1)
    parts: list[Markup] = []
    for index, region in enumerate(columns):
        x = LABEL_W + COL_W * index + COL_W / 2
        lines = SHORT_REGIONS[region.value] if region else ("Total",)
        for line_no, line in enumerate(lines):
            parts.append(el("text", line, x=x, y=HEAD_H - 10 - 16 * (len(lines) - 1 - line_no),
                            text_anchor="middle", font_size=12.5, font_weight=600, fill=INK))
    for row, group in enumerate([*GROUPS, None]):
        y = HEAD_H + ROW_H * row
        label = group.label if group else "Total"
        parts.append(el("text", label, x=LABEL_W - 10, y=y + ROW_H / 2 + 5,
                        text_anchor="end", font_size=14, font_weight=600 if not group else 400,
                        fill=INK))
        for index, region in enumerate(columns):
            if group and region:
                figure = balance.cell(group.value, region.value)
            elif group:
                figure = balance.groups[group.value]
            elif region:
                figure = balance.regions[region.value]
            else:
                figure = balance.total
            is_total = group is None or region is None
            parts.append(_cell(LABEL_W + COL_W * index, y, figure, k, scale, is_total))
    # The totals are set apart from the shaded cells by a heavier rule.
    parts.append(el("line", x1=LABEL_W, y1=HEAD_H + ROW_H * len(GROUPS), x2=width,
                    y2=HEAD_H + ROW_H * len(GROUPS), stroke=INK, stroke_width=2))
    parts.append(el("line", x1=LABEL_W + COL_W * len(REGIONS), y1=HEAD_H,
                    x2=LABEL_W + COL_W * len(REGIONS), y2=grid_bottom, stroke=INK,
                    stroke_width=2))
    legend, legend_h = _legend(balance, scale, grid_bottom + 20, width)
    parts.extend(legend)
    height = grid_bottom + 20 + legend_h
    return _svg(chart_id, "Active members by stakeholder group and region",
                _heat_map_description(balance), parts, width=width, height=height,
                viewBox=f"0 0 {width} {height}")


def _cell(x: float, y: float, figure: Figure, k: int | None, scale, is_total: bool) -> Markup:
    box = {"x": x + 2, "y": y + 2, "width": COL_W - 4, "height": ROW_H - 4, "rx": 3}
    text = {"x": x + COL_W / 2, "y": y + ROW_H / 2 + 5, "text_anchor": "middle",
            "font_size": 15}
    if is_total:
        fill, ink, extra = "#ffffff", INK, {"stroke": LINE}
        text["font_weight"] = 700
    elif figure.hidden:
        fill, ink, extra = WASH, INK, {"stroke": MUTED, "stroke_dasharray": "2 3"}
    elif figure.count == 0:
        # Empty: a dashed red outline and a written 0, so colour is not the only sign.
        fill, ink, extra = "#ffffff", EMPTY, {"stroke": EMPTY, "stroke_dasharray": "5 3",
                                              "stroke_width": 1.5}
    else:
        shade = _shade_of(figure.count or 0, scale)
        fill, ink, extra = shade.fill, shade.text, {}
    return _join([el("rect", fill=fill, **box, **extra),
                  el("text", count_text(figure, k), fill=ink, **text)])


def _legend(balance: Balance, scale, top: float, width: float) -> tuple[list[Markup], int]:
    """Swatches with what each means, laid out in as many lines as they need."""
    k = balance.min_cell
    items = [(shade.fill, None, f"{shade.low}" if shade.low == shade.high
              else f"{shade.low}–{shade.high}") for shade in scale]
    if balance.is_public:
        items.append((WASH, MUTED, f"<{k}: fewer than {k}"))
        if balance.hides_larger_numbers:
            items.append((WASH, MUTED, "hidden: not shown, to protect a small number"))
    elif balance.empty_cells:
        items.append(("#ffffff", EMPTY, "0: no members (empty)"))
    parts = [el("text", "Members:", x=0, y=top + 14, font_size=13, fill=INK)]
    x, y = 72.0, top
    for fill, outline, label in items:
        item_w = 26 + 7.4 * len(label) + 18
        if x + item_w > width:
            x, y = 72.0, y + 26
        parts.append(el("rect", x=x, y=y, width=18, height=18, rx=3, fill=fill,
                        stroke=outline or LINE, stroke_dasharray="4 2" if outline else None))
        parts.append(el("text", label, x=x + 24, y=y + 14, font_size=13, fill=INK))
        x += item_w
    return parts, int(y - top + 26)


def _heat_map_description(balance: Balance) -> str:
    k = balance.min_cell
    shown = [(g, r, balance.cell(g.value, r.value)) for g in GROUPS for r in REGIONS]
    counted = [item for item in shown if item[2].count]
    parts = [f"A grid of {len(GROUPS)} stakeholder groups by {len(REGIONS)} UN regional "
             f"groups; each cell gives the number of active members, darker for more. "
             f"Total: {spoken(balance.total, k)} active members."]
    if counted:
        group, region, figure = max(counted, key=lambda item: item[2].count or 0)
        parts.append(f"The largest cell is {group.label} in {region.label}, with "
                     f"{figure.count}.")
    if not balance.is_public:
        parts.append(f"{len(balance.empty_cells)} of {len(shown)} cells are empty.")
    else:
        hidden = sum(1 for _, _, figure in shown if figure.hidden)
        parts.append(f"{hidden} of {len(shown)} cells are not shown to protect privacy.")
    parts.append("The table below gives every number.")
    return " ".join(parts)


# --- bar charts -----------------------------------------------------------------------

BAR_ROW_H, BAR_H, BAR_MAX_PERCENT = 46, 16, 68


@dataclass(frozen=True)
class Bar:
    label: str
    figure: Figure


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], k: int | None,
              unit: str = "active members") -> Markup:
    """Horizontal bars, a label above each and its count after it. Drawn in page pixels
    with widths in percent, so it fills any screen and its text stays readable."""
    largest = max((bar.figure.count or 0 for bar in bars), default=0)
    parts: list[Markup] = []
    for index, bar in enumerate(bars):
        y = index * BAR_ROW_H
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        parts.append(el("text", label, x=0, y=y + 15, font_size=14, fill=INK))
        parts.append(el("rect", x=0, y=y + 22, width=f"{BAR_MAX_PERCENT}%", height=BAR_H,
                        rx=2, fill=TRACK))
        count = bar.figure.count
        percent_long = 0.0
        if count and largest:
            percent_long = max(0.4, BAR_MAX_PERCENT * count / largest)
            parts.append(el("rect", x=0, y=y + 22, width=f"{percent_long:.2f}%",
                            height=BAR_H, rx=2, fill=BAR))
        value = spoken(bar.figure, k) if bar.figure.hidden else str(count)
        if bar.figure.share is not None:
            value += f" ({percent(bar.figure.share)})"
        parts.append(el("text", value, x=f"{percent_long:.2f}%", dx=6 if count else 4,
                        y=y + 35, font_size=14, fill=INK, font_weight=600))
    description = "; ".join(f"{bar.label}: {spoken(bar.figure, k)}" for bar in bars)
    description = f"Bar chart of {unit}. {description}." if bars else "No members yet."
    height = max(len(bars), 1) * BAR_ROW_H
    return _svg(chart_id, title, description, parts, width="100%", height=height)


def group_chart(balance: Balance, chart_id: str = "chart-groups") -> Markup:
    bars = [Bar(g.label, balance.groups[g.value]) for g in GROUPS]
    return bar_chart(chart_id, "Active members by stakeholder group", bars,
                     balance.min_cell)


def region_chart(balance: Balance, chart_id: str = "chart-regions") -> Markup:
    bars = [Bar(r.label, balance.regions[r.value]) for r in REGIONS]
    return bar_chart(chart_id, "Active members by UN regional group", bars,
                     balance.min_cell)


def country_chart(balance: Balance, limit: int = 10,
                  chart_id: str = "chart-countries") -> Markup:
    bars = [Bar(c.name, c.figure) for c in balance.top_countries(limit)]
    return bar_chart(chart_id, f"Countries with the most active members (top {limit})", bars,
                     balance.min_cell)


def all_charts(balance: Balance) -> dict[str, Markup]:
    return {"heat_map": heat_map(balance), "groups": group_chart(balance),
            "regions": region_chart(balance), "countries": country_chart(balance)}
