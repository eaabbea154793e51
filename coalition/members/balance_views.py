"""The balance dashboard: active members by stakeholder group × UN region, for members in
full (/dashboard) and for anyone with small numbers suppressed (/balance, /api/v1/balance)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from coalition.auth.models import Role
from coalition.auth.permissions import role_required
from coalition.db import utcnow
from coalition.members import balance, charts
from coalition.members.models import MemberStatus

bp = Blueprint("balance", __name__)

API_MAX_AGE = 300  # seconds a cache may keep the public figures


@bp.get("/dashboard")
@role_required(Role.MEMBER.value, Role.FOCAL_CONTACT.value)
def dashboard():
    full = balance.full_balance(balance.count_members())
    statuses = dict(full.statuses)
    return render_template("members/dashboard.html", balance=full,
                           charts=charts.all_charts(full), groups=balance.GROUPS,
                           regions=balance.REGIONS, public_k=balance.min_cell(),
                           lapsed=statuses[MemberStatus.LAPSED],
                           left=statuses[MemberStatus.LEFT])


@bp.get("/balance")
def public():
    figures = balance.public_balance(balance.count_members(), balance.min_cell())
    return render_template("members/balance_public.html", balance=figures,
                           charts=charts.all_charts(figures), groups=balance.GROUPS,
                           regions=balance.REGIONS)


@bp.get("/api/v1/balance")
def api():
    figures = balance.public_balance(balance.count_members(), balance.min_cell())
    response = jsonify(as_json(figures))
    # The same for everyone (signed-in requests still get no-store from the app).
    response.headers["Cache-Control"] = f"public, max-age={API_MAX_AGE}"
    return response


def _figure(figure: balance.Figure) -> dict:
    return {"count": figure.count,
            "share": None if figure.share is None else round(figure.share, 4),
            "suppressed": figure.hidden}


def as_json(figures: balance.Balance) -> dict:
    k = figures.min_cell
    igf = figures.igf
    return {
        "generated_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "counted": "active members",
        "min_cell": k,
        "suppression": {
            balance.SMALL: f"fewer than {k} members (0 included): count and share are null",
            balance.COMPLEMENT: f"at least {k} members, hidden so that no smaller number "
                                "can be worked out from the totals",
            balance.WITHHELD: "not shown: the table is too small to show any number safely",
        } if figures.hides_something else {},
        "total": _figure(figures.total),
        "stakeholder_groups": [{"code": g.value, "label": g.label,
                                **_figure(figures.groups[g.value])} for g in balance.GROUPS],
        "regions": [{"code": r.value, "label": r.label, **_figure(figures.regions[r.value])}
                    for r in balance.REGIONS],
        "cells": [{"stakeholder_group": g.value, "region": r.value,
                   **_figure(figures.cell(g.value, r.value))}
                  for g in balance.GROUPS for r in balance.REGIONS],
        "igf_rule": None if igf is None else {
            "rule": f"at least {igf.required} stakeholder groups represented",
            "met": igf.met,
            "represented": [g.value for g in igf.represented],
            "missing": [g.value for g in igf.missing],
        },
        "countries": [{"code": c.code, "name": c.name,
                       "region": c.region.value if c.region else None, **_figure(c.figure)}
                      for c in figures.countries],
        "countries_complete": not figures.countries_hidden,
    }
