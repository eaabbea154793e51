"""Fictional members and organizations for `coalition demo load`: every stakeholder group
and UN region, a few applicants, lapsed and departed members, and varied consent."""

from __future__ import annotations

import random
from datetime import date, timedelta

from coalition.auth.models import Actor, User
from coalition.members import services
from coalition.members.models import Member, Organization
from coalition.members.services import MemberInput, OrganizationInput

ORGANIZATIONS = [
    ("Ministry of Communications and Digital Economy", "MCDE", "government", "GH"),
    ("National Cyber Security Authority", "NCSA", "government", "PH"),
    ("Federal Office for Child Protection", None, "government", "DE"),
    ("Ministry of ICT", None, "government", "BR"),
    ("Safe Online Kids Network", "SOKN", "civil_society", "KE"),
    ("Digital Rights Collective", None, "civil_society", "IN"),
    ("Youth Voices Online", None, "civil_society", "CO"),
    ("Child Helpline Europe", None, "civil_society", "PL"),
    ("Mobile Operators Forum", "MOF", "private_sector", "ZA"),
    ("PlayWell Games", None, "private_sector", "SE"),
    ("Asia Pacific Network Information Forum", "APNIF", "technical_community", "AU"),
    ("Open Standards Institute", None, "technical_community", "CA"),
    ("University of Nairobi, School of Computing", None, "academia", "KE"),
    ("Institute for Youth and Media Studies", None, "academia", "AR"),
    ("Centre for Internet Research", None, "academia", "UA"),
    ("Regional Telecommunications Union", "RTU", "intergovernmental", "CH"),
    ("Commonwealth Digital Programme", None, "intergovernmental", "GB"),
]

FIRST = ["Amina", "Kwame", "Lina", "Mateus", "Sofia", "Ravi", "Mei", "Jonas", "Olga", "Tariq",
         "Ana", "Kofi", "Priya", "Tomasz", "Aiyana", "Hiroshi", "Fatou", "Diego", "Ingrid",
         "Nour", "Chen", "Leila", "Marek", "Zanele", "Pablo", "Siosaia", "Elif", "Juan",
         "Yuki", "Nia", "Omar", "Camila", "Arjun", "Hana", "Bongani", "Irina", "Luis", "Aroha",
         "Samir", "Beatriz"]
LAST = ["Mensah", "Okafor", "Silva", "Kumar", "Wang", "Novak", "Haddad", "García", "Tanaka",
        "Petrova", "Diallo", "Fernández", "Nguyen", "Kowalski", "Rahman", "Moreau", "Osei",
        "Santos", "Larsen", "Yilmaz", "Ndlovu", "Ivanova", "Park", "Te Rangi", "Mwangi"]
COUNTRIES = {
    "african": ["KE", "GH", "NG", "ZA", "SN", "EG", "RW"],
    "asia_pacific": ["IN", "PH", "JP", "ID", "TO", "PK", "KZ"],
    "eastern_european": ["PL", "UA", "RO", "GE", "EE"],
    "latin_american_caribbean": ["BR", "CO", "AR", "MX", "JM", "CL"],
    "western_european_others": ["DE", "SE", "GB", "CA", "AU", "NZ", "TR"],
}
GROUPS = ["government", "civil_society", "private_sector", "technical_community", "academia",
          "intergovernmental"]


def load(actor: Actor, demo_member_login: User | None = None, count: int = 60,
         seed: int = 2016) -> list[Member]:
    """Create the organizations and `count` members; link the demo member login to one."""
    rng = random.Random(seed)  # noqa: S311 - the same demo every time, no secrets
    organizations: list[Organization] = [
        services.create_organization(actor, OrganizationInput(
            name=name, acronym=acronym, stakeholder_group=group, country=country,
            website=f"https://{(acronym or name.split()[0]).lower()}.example.org"))
        for name, acronym, group, country in ORGANIZATIONS]
    by_group = {g: [o for o in organizations if o.stakeholder_group == g] for g in GROUPS}
    regions = list(COUNTRIES)
    members = []
    for n in range(count):
        group = GROUPS[n % len(GROUPS)]
        region = regions[(n * 7 // 6) % len(regions)]
        country = rng.choice(COUNTRIES[region])
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 3) % len(LAST)]}"
        consent = rng.random()
        organization = rng.choice(by_group[group]) if rng.random() < 0.8 else None
        status = ("applicant" if n % 20 == 7 else "lapsed" if n % 15 == 4
                  else "left" if n % 25 == 11 else "active")
        member = services.create_member(actor, MemberInput(
            name=name, email=f"{name.lower().replace(' ', '.')}.{n}@example.org",
            title=rng.choice(["Director", "Policy officer", "Researcher", "Programme lead",
                              "Adviser", None]),
            organization_id=organization.id if organization else None,
            organization_name=None if organization else rng.choice(
                ["Independent", "Kids Code Club", "Parents Online Association"]),
            stakeholder_group=group, country=country,
            gender=rng.choice(["woman", "man", "woman", "man", "non_binary", None]),
            listed_publicly=consent > 0.3, show_name=consent > 0.45,
            show_organization=consent > 0.35, show_stakeholder_group=consent > 0.3,
            show_country=consent > 0.4,
            motivation="I work on keeping children safe online and want to contribute to "
                       "the coalition's action plan." if status == "applicant" else None),
            status=status, today=date(2016, 1, 1) + timedelta(days=rng.randrange(3500)))
        members.append(member)
    if demo_member_login is not None:
        own = services.create_member(actor, MemberInput(
            name=demo_member_login.name, email=demo_member_login.email, title="Programme lead",
            organization_id=by_group["civil_society"][0].id, stakeholder_group="civil_society",
            country="KE", listed_publicly=True, show_name=True, show_organization=True,
            show_stakeholder_group=True, show_country=True))
        services.db.session.flush()
        demo_member_login.member_id = own.id
        members.append(own)
    return members
