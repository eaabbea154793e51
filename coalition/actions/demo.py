"""The demo action plan for `coalition demo load`: the fictional Dynamic Coalition on Child
Online Safety's plan for FY16–FY18, published, owned by demo members and organizations,
with three years of status updates: most FY16 items done, one item carried over from FY16
to FY17, one blocked, one dropped; FY16 is closed.

The demo member's login (member@example.org) owns three items, so "My items" is not empty.
Updates by members without a login are recorded under their names. The "you own an item"
e-mails a real assignment sends are not sent for this fictional history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from coalition.actions import services
from coalition.actions.models import ActionItem, ActionPlan, ItemYear
from coalition.actions.services import ItemInput, PlanInput
from coalition.auth.models import Actor, SystemActor, User
from coalition.extensions import db
from coalition.members.models import Member, MemberStatus, Organization

PLAN_TITLE = "Action plan FY16–FY18"
DESCRIPTION = (
    "The plan the Dynamic Coalition on Child Online Safety adopted at the Internet "
    "Governance Forum in João Pessoa for 2016 to 2018: four objectives and the action "
    "items that serve them. Each item's owners update its status as it moves.")
OBJECTIVES = (
    "Ensure a safer and more secure online environment for children and youth",
    "Empower children, parents and educators",
    "Strengthen cooperation between industry, governments and civil society",
    "Give children and young people a voice in Internet governance",
)
ME = "me"  # the demo member's login; "member N": the Nth other active demo member


@dataclass(frozen=True)
class DemoItem:
    objective: int
    title: str
    years: tuple[int, ...]
    owners: tuple[str, ...]  # ME, "member N", or an organization's name
    description: str | None = None


ITEMS = (
    DemoItem(0, "Facilitate the exchange of information and best practices between countries "
                "and regions", (2016, 2017, 2018), (ME, "Regional Telecommunications Union"),
             "Regional meetings and a shared list of national strategies, laws and "
             "awareness campaigns."),
    DemoItem(0, "Map national hotlines and child helplines, and the gaps between them",
             (2016,), ("member 0", "Child Helpline Europe")),
    DemoItem(0, "Publish guidelines for industry on reporting child sexual abuse material",
             (2017, 2018), ("member 1", "PlayWell Games")),
    DemoItem(1, "Collect and share digital literacy materials for primary schools",
             (2016, 2017), (ME,), "Teaching materials on privacy and digital literacy, with "
                                  "their licences, so teachers can translate and adapt them."),
    DemoItem(1, "Survey age-appropriate design rules in twelve countries", (2017, 2018),
             ("member 2", "Institute for Youth and Media Studies")),
    DemoItem(1, "Run webinars for parents on privacy settings and parental controls", (2018,),
             ("Mobile Operators Forum",)),
    DemoItem(2, "Hold a coalition session at every Internet Governance Forum",
             (2016, 2017, 2018), ("member 3",)),
    DemoItem(2, "Recruit members from the Eastern European and Asia-Pacific groups",
             (2017, 2018), (ME, "member 4")),
    DemoItem(2, "Agree a reporting channel with the police in each member country", (2017,),
             ("member 5",)),
    DemoItem(3, "Include young speakers on every panel the coalition organizes",
             (2016, 2017, 2018), ("Youth Voices Online", "member 6")),
)

FOCAL = "focal"  # who acts: the focal contact; otherwise the item-year's owner
CARRY, CLOSE = "carry over", "close"
# (day, item index, fiscal year, status or CARRY/CLOSE, note, FOCAL or None), by day.
HISTORY = (
    (date(2016, 2, 15), 0, 2016, "in_progress", "Started a shared list of national "
                                                "strategies: nine countries so far.", None),
    (date(2016, 3, 1), 1, 2016, "in_progress", "Survey sent to 40 hotlines and helplines.",
     None),
    (date(2016, 3, 10), 3, 2016, "in_progress", "Materials from Kenya, the Philippines and "
                                                "Argentina collected.", None),
    (date(2016, 4, 20), 9, 2016, "in_progress", "Three young speakers from Mexico and "
                                                "Colombia invited to Guadalajara.", None),
    (date(2016, 6, 30), 1, 2016, "in_progress", "22 of 40 have answered; reminders sent.",
     None),
    (date(2016, 9, 15), 6, 2016, "in_progress", "Roundtable proposal accepted for IGF 2016.",
     None),
    (date(2016, 10, 5), 3, 2016, "done", "A list of 31 materials with their licences is on "
                                         "the website.", None),
    (date(2016, 11, 30), 0, 2016, "done", "Exchanges at four regional meetings: 14 "
                                          "countries shared their practices.", None),
    (date(2016, 12, 7), 9, 2016, "done", "Three young speakers on the panel in Guadalajara.",
     None),
    (date(2016, 12, 20), 6, 2016, "done", "Roundtable held in Guadalajara on 7 December "
                                          "2016; the session report is published.", None),
    (date(2017, 1, 10), 1, 2016, CARRY, None, FOCAL),
    (date(2017, 1, 15), None, 2016, CLOSE, None, FOCAL),
    (date(2017, 2, 1), 0, 2017, "in_progress", "Second round of exchanges, on helplines.",
     None),
    (date(2017, 2, 20), 2, 2017, "in_progress", "Industry working group formed; first "
                                                "outline shared on the list.", None),
    (date(2017, 3, 5), 4, 2017, "in_progress", "Codes and laws of eight countries collected.",
     None),
    (date(2017, 4, 12), 7, 2017, "in_progress", "Outreach at APrIGF and EuroDIG.", None),
    (date(2017, 5, 10), 4, 2017, "blocked", "Waiting for translations of the Japanese and "
                                            "Korean codes: no volunteer yet.", None),
    (date(2017, 6, 15), 1, 2017, "done", "Gap analysis published: nine countries have no "
                                         "hotline.", None),
    (date(2017, 7, 1), 8, 2017, "dropped", "Outside the coalition's remit: the national "
                                           "hotlines already do this.", FOCAL),
    (date(2017, 9, 1), 3, 2017, "in_progress", "Translations into French and Spanish under "
                                               "way.", None),
    (date(2017, 11, 20), 7, 2017, "in_progress", "Six new members from the Asia-Pacific "
                                                 "group; none yet from Eastern Europe.", None),
    (date(2017, 12, 19), 6, 2017, "done", "Session in Geneva on 19 December 2017.", None),
    (date(2017, 12, 19), 9, 2017, "done", "A youth delegation from Switzerland and Senegal "
                                          "on the Geneva panel.", None),
    (date(2017, 12, 22), 2, 2017, "in_progress", "Draft discussed at the IGF 2017 session "
                                                 "in Geneva.", None),
    (date(2018, 2, 1), 2, 2018, "in_progress", "Open consultation on the draft until April.",
     None),
    (date(2018, 3, 1), 0, 2018, "in_progress", "Regional exchanges planned with the RTU.",
     None),
    (date(2018, 3, 15), 5, 2018, "in_progress", "First webinar, in Johannesburg: 120 parents "
                                                "online.", None),
    (date(2018, 4, 1), 4, 2018, "in_progress", "Translations found; the analysis of all "
                                               "twelve codes has started.", None),
    (date(2018, 6, 4), 2, 2018, "done", "Adopted by rough consensus on 4 June 2018 and "
                                        "published.", None),
    (date(2018, 9, 10), 9, 2018, "in_progress", "Young speakers chosen for IGF 2018 in Paris.",
     None),
)
DUE = ((2, 2018, date(2018, 6, 30)), (4, 2018, date(2018, 12, 31)),
       (5, 2018, date(2018, 10, 31)), (6, 2018, date(2018, 11, 14)))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


class _Owners:
    """Resolves the owners named in ITEMS to the demo's members and organizations."""

    def __init__(self, demo_member_login: User | None):
        self.login = demo_member_login
        self.me = db.session.get(Member, demo_member_login.member_id) \
            if demo_member_login is not None and demo_member_login.member_id else None
        self.others = [m for m in db.session.scalars(
            select(Member).where(Member.status == MemberStatus.ACTIVE).order_by(Member.id))
            if m is not self.me]
        self.organizations = {o.name: o for o in db.session.scalars(select(Organization))}

    def resolve(self, names: tuple[str, ...]) -> tuple[list[Member], list[Organization]]:
        members, organizations = [], []
        for name in names:
            if name == ME:
                members += [self.me] if self.me is not None else []
            elif name.startswith("member "):
                index = int(name.split()[1])
                members += self.others[index:index + 1]
            elif name in self.organizations:
                organizations.append(self.organizations[name])
        return members, organizations

    def actor_for(self, row: ItemYear, focal: Actor) -> Actor:
        """Who updates an item-year: the demo member if theirs, else its first member
        owner (under their name), else the focal contact."""
        member_ids = [owner.member_id for owner in row.owners if owner.member_id]
        if self.me is not None and self.me.id in member_ids:
            return self.login
        if member_ids:
            return SystemActor(db.session.get(Member, member_ids[0]).name)
        return focal


def load(actor: Actor, focal_contact: User | None = None,
         demo_member_login: User | None = None) -> ActionPlan:
    """Create the demo plan with its history (once: a plan of the same title is kept)."""
    existing = db.session.scalar(select(ActionPlan).where(ActionPlan.title == PLAN_TITLE))
    if existing is not None:
        return existing
    focal = focal_contact or actor
    plan = services.create_plan(actor, PlanInput(title=PLAN_TITLE, description=DESCRIPTION,
                                                 first_year=2016, last_year=2018))
    objectives = [services.create_objective(actor, plan, title) for title in OBJECTIVES]
    db.session.flush()
    owners = _Owners(demo_member_login)
    items: list[ActionItem] = []
    for spec in ITEMS:
        item = services.create_item(actor, plan, ItemInput(
            title=spec.title, description=spec.description,
            objective_id=objectives[spec.objective].id, years=list(spec.years)))
        db.session.flush()
        members, organizations = owners.resolve(spec.owners)
        for row in item.years:
            # A fictional history tells no one.
            services.set_owners(actor, row, [m.id for m in members],
                                [o.id for o in organizations], notify=False)
        items.append(item)
    for index, year, due_on in DUE:
        services.update_tracking(focal, items[index].year(year), due_on)
    for day, index, year, change, note, who in HISTORY:
        if change == CLOSE:
            services.close_year(focal, plan, year)
            continue
        row = items[index].year(year)
        if change == CARRY:
            services.carry_over(focal, row, now=_at(day))
            continue
        acting = focal if who == FOCAL else owners.actor_for(row, focal)
        services.change_status(acting, row, change, note, None, now=_at(day))
    services.set_published(actor, plan, True)
    db.session.flush()
    return plan
