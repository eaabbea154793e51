"""The e-mails the login module sends; queued, so they leave only if the change commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from coalition.mail import outgoing
from coalition.mail.messages import notification
from coalition.urls import external_url

if TYPE_CHECKING:
    from coalition.auth.models import Actor, Invitation, User


def invitation(invitation: Invitation, token: str, inviter: Actor) -> None:
    name = current_app.config["NAME"]
    outgoing.queue(notification(
        invitation.name, invitation.email, f"You are invited to {name}",
        "auth/email/invitation.txt",
        invitation=invitation, inviter=getattr(inviter, "name", None),
        link=external_url("auth.accept_invitation", token=token),
        days=current_app.config["INVITATION_DAYS"],
    ))


def password_reset(user: User, token: str) -> None:
    outgoing.queue(notification(
        user.name, user.email, f"Reset your {current_app.config['NAME']} password",
        "auth/email/password_reset.txt",
        user=user, link=external_url("auth.reset_password", token=token),
        minutes=current_app.config["RESET_MINUTES"],
    ))
