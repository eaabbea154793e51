"""The e-mails the list module sends one at a time (confirmations, owner notices); queued,
so they leave only if the change commits. List posts go through the outbox instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from coalition.auth.models import Role, User
from coalition.extensions import db
from coalition.mail import outgoing
from coalition.mail.messages import notification
from coalition.urls import external_url

if TYPE_CHECKING:
    from coalition.mail.models import Subscription


def list_address(name: str, suffix: str = "") -> str:
    return f"{name}{suffix}@{current_app.config['MAIL_DOMAIN']}"


def confirm_subscription(subscription: Subscription, token: str) -> None:
    mailing_list = subscription.mailing_list
    outgoing.queue(notification(
        subscription.name, subscription.email,
        f"Confirm your subscription to {mailing_list.display_name}",
        "mail/email/confirm_subscription.txt",
        mailing_list=mailing_list, link=external_url("lists.confirm", token=token),
        days=current_app.config["SUBSCRIBE_CONFIRM_DAYS"],
        address=list_address(mailing_list.name),
    ))


def focal_contacts() -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role == Role.FOCAL_CONTACT, User.is_active.is_(True)).order_by(User.id)))


def subscription_disabled(subscription: Subscription, reply: str) -> None:
    """Tell the list's owners (the focal contacts) that bounces turned a subscription off."""
    mailing_list = subscription.mailing_list
    link = external_url("list_manage.subscribers", name=mailing_list.name,
                        status="disabled")
    for owner in focal_contacts():
        outgoing.queue(notification(
            owner.name, owner.email,
            f"{mailing_list.display_name}: {subscription.email} disabled after bounces",
            "mail/email/subscription_disabled.txt",
            mailing_list=mailing_list, subscription=subscription, reply=reply, link=link,
            threshold=current_app.config["BOUNCE_THRESHOLD"],
        ))
