"""The balance pages for the quality gates: a spread of members, the pages, access rows."""

from __future__ import annotations

from tests.factories import make_member
from tests.quality.catalog import (
    ANONYMOUS,
    EVERYONE,
    FOCAL,
    MEMBER,
    NOBODY,
    SIGNED_IN,
    Case,
    Samples,
)

# (stakeholder group, country, how many): 30 active members over five regions and the
# unassigned one, every group represented, cells from empty to large.
SPREAD = (
    ("civil_society", "KE", 3), ("civil_society", "NG", 1), ("civil_society", "IN", 2),
    ("civil_society", "BR", 3), ("civil_society", "DE", 2), ("civil_society", None, 1),
    ("government", "KE", 1), ("government", "FR", 3), ("government", "PL", 1),
    ("private_sector", "US", 3), ("private_sector", "JP", 1),
    ("technical_community", "IN", 2), ("technical_community", "DE", 1),
    ("technical_community", "BR", 1),
    ("academia", "GB", 2), ("academia", "ZA", 1), ("academia", "MX", 1),
    ("intergovernmental", "CH", 1),
)
GENDERS = ("woman", "man", "non_binary", None, "woman", "man", "undisclosed")


def add_samples(s: Samples) -> None:
    n = 0
    for group, country, count in SPREAD:
        for _ in range(count):
            make_member(name=f"Balance Member {n}", stakeholder_group=group, country=country,
                        gender=GENDERS[n % len(GENDERS)])
            n += 1
    # Not counted on the balance: lapsed and left members.
    for status, group, country in (("lapsed", "government", "AR"), ("lapsed", "academia", "KE"),
                                   ("left", "private_sector", "PL"), ("left", "academia", "JP")):
        make_member(status=status, stakeholder_group=group, country=country)


def cases(s: Samples) -> list[Case]:
    return [
        Case("balance dashboard", MEMBER, "/dashboard"),
        Case("balance dashboard (focal contact)", FOCAL, "/dashboard"),
        Case("public balance", ANONYMOUS, "/balance"),
    ]


MATRIX = {
    "/dashboard": ("/dashboard", SIGNED_IN, NOBODY),
    "/balance": ("/balance", EVERYONE, NOBODY),
    "/api/v1/balance": ("/api/v1/balance", EVERYONE, NOBODY),
}
