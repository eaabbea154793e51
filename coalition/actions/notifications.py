"""The e-mails the action plan sends; queued, so they leave only if the change commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coalition.mail import outgoing
from coalition.mail.messages import notification
from coalition.urls import external_url

if TYPE_CHECKING:
    from coalition.actions.models import ItemYear
    from coalition.members.models import Member


def owner_assigned(member: Member, item_year: ItemYear) -> None:
    item = item_year.item
    outgoing.queue(notification(
        member.name, member.email,
        f"You own an action item for {item_year.label}: {item.title}"[:200],
        "actions/email/owner_assigned.txt",
        member=member, item=item, item_year=item_year,
        link=external_url("actions.item", item_id=item.id),
        my_items=external_url("actions.my_items"),
    ))
