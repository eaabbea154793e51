"""The coalition's balance: active members by stakeholder group × UN region and by country,
the IGF rule checked, and a public version in which no small number can be read or derived."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.members import countries
from coalition.members.models import Gender, Member, MemberStatus, Region, StakeholderGroup

log = logging.getLogger(__name__)

GROUPS = tuple(StakeholderGroup)
REGIONS = tuple(Region)
IGF_MIN_GROUPS = 3  # the IGF's rule for a dynamic coalition
DEFAULT_MIN_CELL = 3

# Why a number is not shown on the public page.
SMALL = "fewer_than_k"  # 0 … k-1 members
COMPLEMENT = "complementary"  # ≥ k, hidden so that a small number cannot be worked out
WITHHELD = "withheld"  # any number: a table too small to protect number by number

# The numbers of the matrix, as keys: ("cell", group, region), ("group", group),
# ("region", region) and ("total",).
Key = tuple[str, ...]
TOTAL: Key = ("total",)
INFINITY = float("inf")


# --- counting -------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """Every member counted once, by one GROUP BY: what each balance is computed from."""

    cells: Mapping[tuple[str, str], int]  # (group, region) → active members; all 36 cells
    countries: Mapping[str | None, int]  # country code (None: not given) → active members
    genders: Mapping[str | None, int]  # gender (None: not given) → active members
    statuses: Mapping[str, int]  # every member, active or not, by status


def count_members() -> Counts:
    """The counts, from one grouped query (no member is loaded)."""
    columns = (Member.status, Member.stakeholder_group, Member.region, Member.country,
               Member.gender)
    rows = db.session.execute(select(*columns, func.count()).group_by(*columns))
    return tally(tuple(row) for row in rows)


def tally(rows: Iterable[tuple[str, str, str, str | None, str | None, int]]) -> Counts:
    """Add up (status, group, region, country, gender, number) rows."""
    cells = {(group.value, region.value): 0 for group in GROUPS for region in REGIONS}
    by_country: dict[str | None, int] = defaultdict(int)
    genders: dict[str | None, int] = defaultdict(int)
    statuses = {status.value: 0 for status in MemberStatus}
    for status, group, region, country, gender, number in rows:
        statuses[status] += number
        if status != MemberStatus.ACTIVE:
            continue
        cells[group, region] += number
        by_country[country] += number
        genders[gender] += number
    return Counts(cells, dict(by_country), dict(genders), statuses)


def table(cells: Mapping[tuple[str, str], int]) -> dict[Key, int]:
    """Every number of the matrix: its cells, the total of each group and region, and the
    grand total."""
    values: dict[Key, int] = {("cell", g, r): n for (g, r), n in cells.items()}
    for group in GROUPS:
        values["group", group.value] = sum(cells[group.value, r.value] for r in REGIONS)
    for region in REGIONS:
        values["region", region.value] = sum(cells[g.value, region.value] for g in GROUPS)
    values[TOTAL] = sum(cells.values())
    return values


# --- what a page shows ----------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One number: a count and its share of all active members, or why it is not shown."""

    count: int | None
    share: float | None = None  # 0..1
    hidden: str | None = None  # SMALL or COMPLEMENT when the count is not shown

    @property
    def is_empty(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class CountryFigure:
    code: str | None  # None: members who gave no country
    name: str
    region: Region | None
    figure: Figure


@dataclass(frozen=True)
class IgfCheck:
    """The IGF's rule: at least three stakeholder groups represented."""

    represented: tuple[StakeholderGroup, ...]
    missing: tuple[StakeholderGroup, ...]
    required: int = IGF_MIN_GROUPS

    @property
    def met(self) -> bool:
        return len(self.represented) >= self.required


@dataclass(frozen=True)
class Balance:
    total: Figure
    cells: Mapping[tuple[str, str], Figure]
    groups: Mapping[str, Figure]  # each stakeholder group's total (the rows)
    regions: Mapping[str, Figure]  # each region's total (the columns)
    igf: IgfCheck | None  # None on a public page of fewer than k members
    countries: tuple[CountryFigure, ...]  # most members first
    min_cell: int | None = None  # the k of a public balance; None when nothing is hidden
    countries_hidden: bool = False  # some countries are left out for having fewer than k
    genders: tuple[tuple[str, Figure], ...] = ()
    statuses: tuple[tuple[MemberStatus, int], ...] = ()

    def cell(self, group: str, region: str) -> Figure:
        return self.cells[group, region]

    @property
    def is_public(self) -> bool:
        return self.min_cell is not None

    @property
    def empty_cells(self) -> tuple[tuple[StakeholderGroup, Region], ...]:
        return tuple((g, r) for g in GROUPS for r in REGIONS
                     if self.cells[g.value, r.value].is_empty)

    def gaps(self) -> tuple[tuple[StakeholderGroup, tuple[Region, ...]], ...]:
        """For each stakeholder group with empty cells, the regions it has no one in."""
        return tuple((g, regions) for g in GROUPS
                     if (regions := tuple(r for r in REGIONS
                                          if self.cells[g.value, r.value].is_empty)))

    @property
    def figures(self) -> list[Figure]:
        """Every number of the matrix: cells, totals and the grand total."""
        return [*self.cells.values(), *self.groups.values(), *self.regions.values(),
                self.total]

    @property
    def hides_something(self) -> bool:
        return any(figure.hidden for figure in self.figures)

    @property
    def hides_larger_numbers(self) -> bool:
        """Whether numbers of k or more are hidden too (to protect the small ones)."""
        return any(figure.hidden not in (None, SMALL) for figure in self.figures)

    def top_countries(self, limit: int = 10) -> tuple[CountryFigure, ...]:
        return tuple(c for c in self.countries if c.code is not None)[:limit]


def igf_check(cells: Mapping[tuple[str, str], int]) -> IgfCheck:
    present = {g for (g, _), n in cells.items() if n > 0}
    return IgfCheck(represented=tuple(g for g in GROUPS if g.value in present),
                    missing=tuple(g for g in GROUPS if g.value not in present))


def _country_figures(by_country: Mapping[str | None, int], total: int, shown) -> list:
    figures = []
    for code, count in by_country.items():
        if count and shown(count):
            country = countries.all_countries().get(code or "")
            name = country.name if country else ("No country given" if code is None else code)
            figures.append(CountryFigure(code, name, country.region if country else None,
                                         Figure(count, _share(count, total))))
    # Most members first; the "no country given" bucket after the countries.
    return sorted(figures, key=lambda c: (c.code is None, -(c.figure.count or 0), c.name))


def _share(count: int | None, total: int | None) -> float | None:
    if count is None or not total:
        return None
    return count / total


def full_balance(counts: Counts) -> Balance:
    """Every number, for signed-in members."""
    values = table(counts.cells)
    total = values[TOTAL]

    def figure(key: Key) -> Figure:
        return Figure(values[key], _share(values[key], total))

    genders = [(Gender(g).label if g else "Not given", Figure(n, _share(n, total)))
               for g, n in sorted(counts.genders.items(), key=lambda item: -item[1]) if n]
    return Balance(
        total=figure(TOTAL),
        cells={(g.value, r.value): figure(("cell", g.value, r.value))
               for g in GROUPS for r in REGIONS},
        groups={g.value: figure(("group", g.value)) for g in GROUPS},
        regions={r.value: figure(("region", r.value)) for r in REGIONS},
        igf=igf_check(counts.cells),
        countries=tuple(_country_figures(counts.countries, total, lambda n: True)),
        genders=tuple(genders),
        statuses=tuple((s, counts.statuses.get(s.value, 0)) for s in MemberStatus),
    )


def min_cell() -> int:
    """The public page's k: counts below it are not shown; 1 turns suppression off."""
    k = int(current_app.config.get("BALANCE_MIN_CELL", DEFAULT_MIN_CELL))
    if k == 1:
        return 1
    if k < DEFAULT_MIN_CELL:
        # Below 3, "fewer than k" for a group the IGF check names as present is exactly 1.
        log.warning("BALANCE_MIN_CELL=%s protects no one; using %s", k, DEFAULT_MIN_CELL)
        return DEFAULT_MIN_CELL
    return k


def public_balance(counts: Counts, k: int) -> Balance:
    """What anyone may see: numbers under k hidden, and enough others hidden with them that
    none can be worked out from the totals (see `suppress`)."""
    values = table(counts.cells)
    listed = _country_figures(counts.countries, 0, lambda n: n >= k)
    igf: IgfCheck | None = igf_check(counts.cells)
    if 0 < values[TOTAL] < k:
        # Too few members for any breakdown: even naming the groups present would tell
        # how many each has (two groups present out of fewer than three members).
        igf, hidden = None, {key: SMALL for key in values}
    else:
        hidden = suppress(values, k, igf, _floors(listed))
    total = None if TOTAL in hidden else values[TOTAL]

    def figure(key: Key) -> Figure:
        if key in hidden:
            return Figure(None, None, hidden[key])
        return Figure(values[key], _share(values[key], total))

    shown_countries = tuple(
        CountryFigure(c.code, c.name, c.region, Figure(c.figure.count,
                                                       _share(c.figure.count, total)))
        for c in listed)
    return Balance(
        total=figure(TOTAL),
        cells={(g.value, r.value): figure(("cell", g.value, r.value))
               for g in GROUPS for r in REGIONS},
        groups={g.value: figure(("group", g.value)) for g in GROUPS},
        regions={r.value: figure(("region", r.value)) for r in REGIONS},
        igf=igf,
        countries=shown_countries,
        min_cell=k,
        countries_hidden=len(listed) < sum(1 for n in counts.countries.values() if n),
    )


# --- disclosure control ---------------------------------------------------------------
#
# The public matrix hides every count under k, zeros included: were zeros shown, "fewer
# than 3" would mean 1 or 2, and a stakeholder group of two members in two regions would
# read as exactly one member in each. The one exception is a stakeholder group with no
# members at all, which the IGF check names anyway: its row is all zeros and shown.
#
# No hidden count of 1 … k-1 may be recoverable from what is shown: a row total minus
# the cells shown in that row, a column likewise, the grand total, the country counts
# (lower bounds on the region totals), the groups the IGF check names, and what a reader
# knows of each hidden count ("fewer than k" is 0 … k-1; "not shown" is at least k). So
# more numbers are hidden (secondary suppression), the smallest cells first and totals
# last, until none can be pinned down. A zero that can be worked out is left alone: it
# points at no one. Rounding the totals instead would blur every total, and still let a
# lone small cell be bounded closely.
#
# Whether a number can be pinned down is decided exactly, on a flow network: the matrix
# with its totals is a circulation (in → group → region → out → in, one arc per number),
# every table a reader thinks possible is a feasible circulation within the bounds they
# know, and a hidden number can take another value exactly when its arc lies on a cycle
# of the residual network (integral bounds: the other value is a whole number too).
# Some tables are too small for any of this (seven members in two groups, say); then
# every number is withheld alike.


def _floors(listed: Iterable[CountryFigure]) -> dict[Key, int]:
    """The least each region (and the grand total) can hold, given the countries listed."""
    floors: dict[Key, int] = defaultdict(int)
    for country in listed:
        count = country.figure.count or 0
        if country.region is not None:
            floors["region", country.region.value] += count
        floors[TOTAL] += count
    return floors


def _ends(key: Key) -> tuple[str, str]:
    kind = key[0]
    if kind == "cell":
        return f"group:{key[1]}", f"region:{key[2]}"
    if kind == "group":
        return "in", f"group:{key[1]}"
    if kind == "region":
        return f"region:{key[1]}", "out"
    return "out", "in"


def _bounds(values: Mapping[Key, int], hidden: Mapping[Key, str], k: int, igf: IgfCheck,
            floors: Mapping[Key, int]) -> dict[Key, tuple[int, float]]:
    """What a reader of the public page knows about each number: a lowest and highest
    value (a shown number is known exactly)."""
    represented = {g.value for g in igf.represented}
    bounds: dict[Key, tuple[int, float]] = {}
    for key, value in values.items():
        reason = hidden.get(key)
        if reason is None:
            bounds[key] = (value, value)
            continue
        low, high = {SMALL: (0, k - 1), COMPLEMENT: (k, INFINITY)}.get(reason, (0, INFINITY))
        if key[0] == "group" and key[1] in represented:
            low = max(low, 1)
        # Side knowledge never contradicts the truth, so the true table stays possible.
        bounds[key] = (min(value, max(low, floors.get(key, 0))), high)
    return bounds


def derivable(values: Mapping[Key, int], hidden: Mapping[Key, str], k: int,
              igf: IgfCheck, floors: Mapping[Key, int] | None = None) -> list[Key]:
    """The hidden small numbers (1 … k-1) a reader could work out exactly from everything
    shown. A zero may be worked out: "no one" points at no one."""
    bounds = _bounds(values, hidden, k, igf, floors or {})
    residual = _residual(values, bounds)
    return [key for key in hidden
            if 0 < values[key] < k and _pinned(key, values, bounds, residual)]


def _pinned(key: Key, values: Mapping[Key, int], bounds, residual=None) -> bool:
    """Whether every table the reader thinks possible gives `key` its true value: whether
    no cycle of the residual network runs through its arc."""
    residual = residual or _residual(values, bounds)
    value = values[key]
    low, high = bounds[key]
    tail, head = _ends(key)
    can_rise = value < high and _reaches(residual, head, tail, key)
    can_fall = value > low and _reaches(residual, tail, head, key)
    return not (can_rise or can_fall)


def _residual(values, bounds) -> dict[str, list[tuple[str, Key]]]:
    """Where a little flow could be pushed, given the bounds: node → (node, arc) steps."""
    graph: dict[str, list[tuple[str, Key]]] = defaultdict(list)
    for key, value in values.items():
        low, high = bounds[key]
        tail, head = _ends(key)
        if value < high:
            graph[tail].append((head, key))
        if value > low:
            graph[head].append((tail, key))
    return graph


def _reaches(graph, start: str, goal: str, avoiding: Key) -> bool:
    """Whether a path leads from `start` to `goal` without using the arc `avoiding`."""
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt, key in graph.get(node, ()):
            if key != avoiding and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _cost(key: Key, values: Mapping[Key, int]) -> tuple[int, int]:
    """Hide cells before totals (totals are what readers look for), small before large."""
    rank = {"cell": 0, "group": 1, "region": 1, "total": 2}[key[0]]
    return rank, values[key]


def _near(key: Key, target: Key) -> bool:
    """Whether two numbers share a row or a column of the matrix (totals included)."""
    return bool(set(_ends(key)) & set(_ends(target)))


def suppress(values: Mapping[Key, int], k: int, igf: IgfCheck | None = None,
             floors: Mapping[Key, int] | None = None) -> dict[Key, str]:
    """Which numbers of the matrix the public page hides, and why (SMALL or COMPLEMENT).
    `k` is 1 (hide nothing) or at least 3 (see `min_cell`)."""
    if k <= 1 or values[TOTAL] == 0:  # no members: every zero is plain from the IGF check
        return {}
    igf = igf or igf_check({(key[1], key[2]): n for key, n in values.items()
                            if key[0] == "cell"})
    missing = {g.value for g in igf.missing}
    hidden = {key: SMALL for key, value in values.items()
              if value < k and not _in_missing_group(key, missing)}
    while exposed := derivable(values, hidden, k, igf, floors):
        target = exposed[0]
        candidates = sorted((key for key, value in values.items()
                             if key not in hidden and value >= k),
                            key=lambda key: _cost(key, values))
        if not candidates:
            break
        helpful = next((key for key in candidates
                        if not _pinned(target, values, _bounds(
                            values, {**hidden, key: COMPLEMENT}, k, igf, floors or {}))),
                       None)
        if helpful is None:  # no single number is enough: hide a neighbour and look again
            helpful = next((key for key in candidates if _near(key, target)), candidates[0])
        hidden[helpful] = COMPLEMENT
    if derivable(values, hidden, k, igf, floors):
        # A table this small gives itself away even with every number hidden, as long as
        # "fewer than k" and "at least k" can be told apart: hide every number alike.
        hidden = {key: WITHHELD for key in values if not _in_missing_group(key, missing)}
    return hidden


def _in_missing_group(key: Key, missing: set[str]) -> bool:
    """A group with no members: its zeros are named by the IGF check and disclose no one."""
    return key[0] in ("cell", "group") and key[1] in missing
