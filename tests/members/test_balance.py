"""The balance: counts by stakeholder group × region and country, the IGF rule, and the
public version's suppression (no small number shown, none derivable from what is shown)."""

from __future__ import annotations

import math
import random

import pytest
from sqlalchemy import event

from coalition.extensions import db as _db
from coalition.members import balance, charts
from coalition.members import services as members
from coalition.members.balance import (
    COMPLEMENT,
    GROUPS,
    REGIONS,
    SMALL,
    TOTAL,
    WITHHELD,
    Counts,
    derivable,
    igf_check,
    public_balance,
    suppress,
    table,
)
from tests.factories import SYSTEM


def counts_of(cells: dict[tuple[str, str], int], by_country=None) -> Counts:
    full = {(g.value, r.value): 0 for g in GROUPS for r in REGIONS}
    full.update(cells)
    return Counts(full, by_country or {}, {}, {})


def random_cells(rng: random.Random, members: int) -> dict[tuple[str, str], int]:
    """Members spread unevenly, as real coalitions are (a few big cells, many small)."""
    group_weights = [rng.random() ** 3 for _ in GROUPS]
    region_weights = [rng.random() ** 3 for _ in REGIONS]
    keys = [(g.value, r.value) for g in GROUPS for r in REGIONS]
    weights = [gw * rw + 1e-9 for gw in group_weights for rw in region_weights]
    cells = dict.fromkeys(keys, 0)
    for key in rng.choices(keys, weights, k=members):
        cells[key] += 1
    return cells


def subtraction_attack(values, hidden, k, igf):
    """An attacker's bounds on every hidden number, tightened from the published totals
    alone (each row, column and the grand total is the sum of its parts) until nothing
    changes. Written apart from balance.py's own check, to test it from the outside."""
    represented = {g.value for g in igf.represented}
    bounds = {}
    for key, value in values.items():
        reason = hidden.get(key)
        low = 1 if key[0] == "group" and key[1] in represented else 0
        if reason is None:
            bounds[key] = [value, value]
        elif reason == SMALL:
            bounds[key] = [low, k - 1]
        elif reason == COMPLEMENT:
            bounds[key] = [k, math.inf]
        else:
            bounds[key] = [low, math.inf]
    equations = [(("group", g.value), [("cell", g.value, r.value) for r in REGIONS])
                 for g in GROUPS]
    equations += [(("region", r.value), [("cell", g.value, r.value) for g in GROUPS])
                  for r in REGIONS]
    equations += [(TOTAL, [("group", g.value) for g in GROUPS]),
                  (TOTAL, [("region", r.value) for r in REGIONS])]
    changed = True
    while changed:
        changed = False
        for whole, parts in equations:
            low_sum = sum(bounds[p][0] for p in parts)
            high_sum = sum(bounds[p][1] for p in parts)
            tighter = [max(bounds[whole][0], low_sum), min(bounds[whole][1], high_sum)]
            if tighter != bounds[whole]:
                bounds[whole], changed = tighter, True
            for part in parts:
                others_low = sum(bounds[p][0] for p in parts if p != part)
                others_high = sum(bounds[p][1] for p in parts if p != part)
                tighter = [max(bounds[part][0], bounds[whole][0] - others_high),
                           min(bounds[part][1], bounds[whole][1] - others_low)]
                if tighter != bounds[part]:
                    bounds[part], changed = tighter, True
    return bounds


def worked_out(values, hidden, k, igf) -> list:
    """The hidden small numbers (zeros point at no one) the subtraction attack pins."""
    bounds = subtraction_attack(values, hidden, k, igf)
    return [key for key in hidden
            if 0 < values[key] < k and bounds[key][0] == bounds[key][1]]


# --- counting -------------------------------------------------------------------------

def test_counts_active_members_by_group_and_region_with_totals_and_shares(db,
                                                                           create_member):
    for _ in range(3):
        create_member(stakeholder_group="government", country="KE")
    create_member(stakeholder_group="civil_society", country="BR")
    create_member(stakeholder_group="civil_society", country=None)
    create_member(status="lapsed", stakeholder_group="government", country="KE")
    create_member(status="left", stakeholder_group="academia", country="FR")
    create_member(status="applicant", stakeholder_group="academia", country="FR")

    full = balance.full_balance(balance.count_members())

    assert full.total.count == 5
    assert full.cell("government", "african").count == 3
    assert full.cell("government", "african").share == pytest.approx(0.6)
    assert full.cell("civil_society", "latin_american_caribbean").count == 1
    assert full.cell("civil_society", "unassigned").count == 1  # no country: unassigned
    assert full.groups["government"].count == 3
    assert full.groups["civil_society"].share == pytest.approx(0.4)
    assert full.groups["academia"].count == 0  # left and applicant are not counted
    assert full.regions["african"].count == 3
    assert full.regions["western_european_others"].count == 0
    assert dict(full.statuses) == {"applicant": 1, "active": 5, "lapsed": 1, "left": 1}


def test_counting_is_one_grouped_query(app, db, create_member):
    for country in ("KE", "BR", "FR", "IN"):
        create_member(country=country)
    statements = []

    def remember(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", remember)
    try:
        balance.count_members()
    finally:
        event.remove(_db.engine, "before_cursor_execute", remember)
    assert len(statements) == 1 and "GROUP BY" in statements[0]


def test_every_cell_is_present_and_empty_ones_are_flagged():
    full = balance.full_balance(counts_of({("government", "african"): 2,
                                           ("academia", "asia_pacific"): 1}))

    assert len(full.cells) == 36
    assert len(full.empty_cells) == 34
    assert ("government", "african") not in [(g.value, r.value) for g, r in full.empty_cells]
    gaps = dict(full.gaps())
    assert [r.value for r in gaps[GROUPS[0]]] == [
        "asia_pacific", "eastern_european", "latin_american_caribbean",
        "western_european_others", "unassigned"]
    assert len(gaps[balance.StakeholderGroup.CIVIL_SOCIETY]) == 6


def test_igf_rule_is_not_met_with_two_groups():
    check = igf_check(counts_of({("government", "african"): 5,
                                 ("civil_society", "african"): 1}).cells)
    assert not check.met
    assert [g.value for g in check.represented] == ["government", "civil_society"]
    assert [g.value for g in check.missing] == ["private_sector", "technical_community",
                                                "academia", "intergovernmental"]


def test_igf_rule_is_met_with_three_groups():
    check = igf_check(counts_of({("government", "african"): 5,
                                 ("civil_society", "unassigned"): 1,
                                 ("academia", "asia_pacific"): 1}).cells)
    assert check.met
    assert len(check.represented) == 3 and len(check.missing) == 3


def test_countries_are_counted_with_their_names_most_members_first(db, create_member):
    for country in ("KE", "KE", "BR", "CI", None):
        create_member(country=country)

    full = balance.full_balance(balance.count_members())

    assert [(c.name, c.figure.count) for c in full.countries] == [
        ("Kenya", 2), ("Brazil", 1), ("Côte d'Ivoire", 1), ("No country given", 1)]
    assert full.countries[0].region.value == "african"
    assert full.countries[0].figure.share == pytest.approx(0.4)
    assert [c.code for c in full.top_countries(2)] == ["KE", "BR"]


def test_gender_breakdown_counts_those_who_did_not_say(db, create_member):
    create_member(gender="woman")
    create_member(gender="woman")
    create_member(gender=None)

    full = balance.full_balance(balance.count_members())

    assert [(label, figure.count) for label, figure in full.genders] == [
        ("Woman", 2), ("Not given", 1)]


def test_an_erased_member_stays_counted_as_a_member_who_left(db, create_member):
    kept = create_member(stakeholder_group="academia", country="IN")
    erased = create_member(stakeholder_group="academia", country="IN", gender="man")
    members.erase_member(SYSTEM, erased)
    db.session.commit()

    counts = balance.count_members()
    full = balance.full_balance(counts)

    # Erasure ends the membership (the member leaves) but keeps group, region, country
    # and status: the record is still counted, among those who left.
    assert erased.name.startswith("Erased member") and erased.status == "left"
    assert full.cell("academia", "asia_pacific").count == 1
    assert dict(full.statuses)["left"] == 1
    assert sum(counts.statuses.values()) == 2
    assert kept.status == "active"


# --- public: suppression --------------------------------------------------------------

def test_public_hides_every_count_under_k_zeros_included():
    cells = {("government", "african"): 5, ("government", "asia_pacific"): 1,
             ("civil_society", "african"): 4, ("civil_society", "asia_pacific"): 3,
             ("academia", "western_european_others"): 6}
    public = public_balance(counts_of(cells), 3)

    assert public.cell("government", "african").count == 5
    assert public.cell("government", "asia_pacific") == balance.Figure(None, None, SMALL)
    assert public.cell("government", "eastern_european").hidden == SMALL  # a zero
    for figure in [*public.cells.values(), *public.groups.values(),
                   *public.regions.values(), public.total]:
        assert figure.count is None or figure.count >= 3 or figure.count == 0
        assert figure.count is not None or figure.share is None


def test_a_stakeholder_group_with_no_members_is_shown_as_zeros():
    cells = {("government", "african"): 5, ("civil_society", "african"): 4,
             ("academia", "african"): 6}
    public = public_balance(counts_of(cells), 3)

    assert public.groups["private_sector"].count == 0
    assert all(public.cell("private_sector", r.value).count == 0 for r in REGIONS)
    assert [g.value for g in public.igf.missing] == ["private_sector",
                                                     "technical_community",
                                                     "intergovernmental"]


def test_a_lone_small_cell_cannot_be_worked_out_from_its_row_total():
    # Government: 5 in Africa and 1 in Asia-Pacific. With the row total 6 and the other
    # cells shown, 6 − 5 would give the hidden 1 away.
    cells = {("government", "african"): 5, ("government", "asia_pacific"): 1,
             ("civil_society", "african"): 4, ("civil_society", "asia_pacific"): 3,
             ("academia", "western_european_others"): 6, ("academia", "african"): 3}
    values = table(counts_of(cells).cells)
    igf = igf_check(counts_of(cells).cells)
    only_small = {key: SMALL for key, value in values.items()
                  if value < 3 and not (key[0] in ("cell", "group")
                                        and key[1] in {g.value for g in igf.missing})}

    assert ("cell", "government", "asia_pacific") in worked_out(values, only_small, 3, igf)
    assert ("cell", "government", "asia_pacific") in derivable(values, only_small, 3, igf)
    hidden = suppress(values, 3, igf)
    assert COMPLEMENT in hidden.values()
    assert not worked_out(values, hidden, 3, igf)
    assert not derivable(values, hidden, 3, igf)


def test_two_ones_cannot_be_worked_out_from_a_total_of_two():
    # A hidden remainder of 2 over two hidden cells: if zeros were shown, each is 1.
    cells = {("government", "african"): 6, ("government", "asia_pacific"): 1,
             ("government", "eastern_european"): 1, ("civil_society", "african"): 7,
             ("academia", "african"): 5}
    values = table(counts_of(cells).cells)
    igf = igf_check(counts_of(cells).cells)

    hidden = suppress(values, 3, igf)

    assert not worked_out(values, hidden, 3, igf)
    assert not derivable(values, hidden, 3, igf)


@pytest.mark.parametrize("k", [3, 4, 5, 10])
def test_no_hidden_small_number_can_be_worked_out_in_random_coalitions(k):
    rng = random.Random(k)
    for _ in range(150):
        cells = random_cells(rng, rng.choice([*range(k, 16), 20, 30, 60, 150, 1000]))
        values = table(cells)
        igf = igf_check(cells)
        hidden = suppress(values, k, igf)
        assert not worked_out(values, hidden, k, igf), (cells, hidden)
        assert not derivable(values, hidden, k, igf), (cells, hidden)
        for key, value in values.items():
            reason = hidden.get(key)
            # Labels tell the truth: "fewer than k" only under k, "hidden" only above.
            assert reason != SMALL or value < k
            assert reason != COMPLEMENT or value >= k
            # Nothing under k is shown, but the zeros of a group with no members.
            assert reason or value >= k or (value == 0 and key[0] in ("cell", "group")
                                            or values[TOTAL] == 0)


def test_a_table_too_small_to_protect_number_by_number_is_withheld():
    # Seven members in two groups: even with every number hidden, "fewer than 3" and
    # "at least 3" together pin the technical community's 2 in Eastern Europe.
    cells = {("technical_community", "eastern_european"): 2,
             ("technical_community", "western_european_others"): 1,
             ("technical_community", "unassigned"): 2,
             ("intergovernmental", "eastern_european"): 1,
             ("intergovernmental", "unassigned"): 1}
    values = table(counts_of(cells).cells)
    igf = igf_check(counts_of(cells).cells)

    hidden = suppress(values, 3, igf)

    assert set(hidden.values()) == {WITHHELD}
    assert not derivable(values, hidden, 3, igf)
    assert not worked_out(values, hidden, 3, igf)
    assert ("group", "government") not in hidden  # a group with no one is still a zero


def test_fewer_than_k_members_in_all_gives_no_breakdown():
    public = public_balance(counts_of({("government", "african"): 1,
                                       ("academia", "asia_pacific"): 1}), 3)

    assert public.igf is None  # naming two groups out of under three would count them
    assert public.total.hidden == SMALL
    assert all(f.hidden == SMALL for f in public.cells.values())


def test_no_members_at_all_shows_zeros():
    public = public_balance(counts_of({}), 3)
    assert public.total.count == 0
    assert not public.hides_something
    assert not public.igf.met


def test_public_lists_only_countries_with_k_members_or_more():
    cells = {("government", "african"): 5, ("civil_society", "african"): 4,
             ("academia", "western_european_others"): 6}
    public = public_balance(counts_of(cells, {"KE": 7, "NG": 2, "FR": 6}), 3)

    assert [(c.code, c.figure.count) for c in public.countries] == [("KE", 7), ("FR", 6)]
    assert public.countries_hidden


def test_public_shares_are_of_the_total_shown_and_only_for_numbers_shown():
    public = public_balance(counts_of({("government", "african"): 5,
                                       ("government", "asia_pacific"): 1,
                                       ("civil_society", "african"): 4,
                                       ("academia", "african"): 6}), 3)
    assert public.total.count == 16
    for figure in public.cells.values():
        if figure.count is None:
            assert figure.share is None
        elif figure.count:
            assert figure.share == pytest.approx(figure.count / 16)
    # With the total hidden, a share would give it away (count ÷ share).
    tiny = public_balance(counts_of({("government", "african"): 2}), 3)
    assert tiny.total.count is None
    assert all(f.share is None for f in [*tiny.cells.values(), *tiny.groups.values()])


def test_k_of_one_hides_nothing():
    public = public_balance(counts_of({("government", "african"): 1}), 1)
    assert public.cell("government", "african").count == 1
    assert not public.hides_something


@pytest.mark.parametrize(("configured", "used"), [(None, 3), (1, 1), (2, 3), (0, 3), (5, 5)])
def test_k_comes_from_the_configuration(app, configured, used):
    if configured is not None:
        app.config["BALANCE_MIN_CELL"] = configured
    assert balance.min_cell() == used


# --- charts ---------------------------------------------------------------------------

def _contrast(one: str, two: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_numbers_on_shaded_cells_are_readable():
    for fill, text in charts.SHADES:
        assert _contrast(fill, text) >= 4.5, fill
    assert _contrast("#ffffff", charts.EMPTY) >= 4.5


def test_heat_map_names_and_describes_itself_and_writes_every_number():
    full = balance.full_balance(counts_of({("government", "african"): 7,
                                           ("academia", "asia_pacific"): 2}))
    svg = str(charts.heat_map(full, chart_id="map"))

    assert svg.startswith('<svg id="map" role="img" aria-labelledby="map-title" '
                          'aria-describedby="map-desc"')
    assert '<title id="map-title">' in svg and '<desc id="map-desc">' in svg
    assert "34 of 36 cells are empty" in svg
    assert ">7</text>" in svg and ">2</text>" in svg and ">9</text>" in svg
    assert "style=" not in svg and "<script" not in svg
    assert 'viewBox="0 0 ' in svg


def test_public_heat_map_writes_fewer_than_k_instead_of_small_numbers():
    public = public_balance(counts_of({("government", "african"): 7,
                                       ("government", "asia_pacific"): 1,
                                       ("civil_society", "african"): 5,
                                       ("academia", "african"): 4}), 3)
    svg = str(charts.heat_map(public))
    assert "&lt;3</text>" in svg
    assert ">1</text>" not in svg


def test_chart_labels_are_escaped():
    svg = str(charts.bar_chart("c", "Title <b>", [charts.Bar("<script>x</script>",
                                                             balance.Figure(3, 0.5))], None))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "Title &lt;b&gt;" in svg
