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


def moderators(mailing_list) -> list[User]:
    """Who is told about held posts: the focal contacts and the list's moderators."""
    from coalition.mail.models import ListModerator

    listed = select(ListModerator.user_id).where(ListModerator.list_id == mailing_list.id)
    return list(db.session.scalars(select(User).where(
        User.is_active.is_(True),
        (User.role == Role.FOCAL_CONTACT) | User.id.in_(listed)).order_by(User.id)))


def post_held(post) -> None:
    """Tell the sender their post waits for a moderator, and the moderators that it does."""
    mailing_list = post.mailing_list
    outgoing.queue(notification(
        post.sender_name, post.sender_email,
        f"Your message to {mailing_list.display_name} awaits moderation",
        "mail/email/post_held_sender.txt", mailing_list=mailing_list, post=post,
        address=list_address(mailing_list.name)))
    link = external_url("moderation.queue", name=mailing_list.name)
    for moderator in moderators(mailing_list):
        outgoing.queue(notification(
            moderator.name, moderator.email,
            f"{mailing_list.display_name}: a message from {post.sender_email} awaits you",
            "mail/email/post_held_moderator.txt", mailing_list=mailing_list, post=post,
            link=link))


def post_rejected(post, note: str) -> None:
    """Tell the sender their post was refused, and why."""
    mailing_list = post.mailing_list
    outgoing.queue(notification(
        post.sender_name, post.sender_email,
        f"Your message to {mailing_list.display_name} was not accepted",
        "mail/email/post_rejected.txt", mailing_list=mailing_list, post=post, note=note,
        address=list_address(mailing_list.name)))


def subscription_awaits_approval(subscription: Subscription) -> None:
    """Someone confirmed their address on a list where a focal contact approves new
    subscribers: the focal contacts are told, with the link to approve."""
    mailing_list = subscription.mailing_list
    link = external_url("list_manage.subscribers", name=mailing_list.name, status="pending")
    for owner in focal_contacts():
        outgoing.queue(notification(
            owner.name, owner.email,
            f"{mailing_list.display_name}: {subscription.email} asks to subscribe",
            "mail/email/subscription_awaits_approval.txt",
            mailing_list=mailing_list, subscription=subscription, link=link))


def subscription_approved(subscription: Subscription) -> None:
    """A focal contact approved the subscription: its owner learns that messages come now."""
    mailing_list = subscription.mailing_list
    outgoing.queue(notification(
        subscription.name, subscription.email,
        f"You are subscribed to {mailing_list.display_name}",
        "mail/email/subscription_approved.txt", mailing_list=mailing_list,
        subscription=subscription, address=list_address(mailing_list.name),
        page=external_url("lists.detail", name=mailing_list.name)))
