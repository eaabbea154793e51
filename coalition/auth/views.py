"""Signing in and out, invitations, passwords, and the focal contact's list of logins."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from coalition.auth import queries, services
from coalition.auth.forms import (
    ChangePasswordForm,
    ChoosePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
)
from coalition.auth.models import Invitation, User
from coalition.auth.permissions import focal_contact_required
from coalition.db import utcnow
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.web import (
    acting_user,
    client_ip,
    safe_next,
    show_error,
    start_session,
    token_page,
)

bp = Blueprint("auth", __name__)

@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_ip())
        except services.LoginLocked as error:
            db.session.commit()
            form.form_errors.append(error.message)
            status = 429
        except ValidationError as error:
            db.session.commit()  # the failed attempt is what the rate limit counts
            show_error(form, error)
            status = 401
        else:
            db.session.commit()
            start_session(user, remember=form.remember.data)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("main.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.user_from_reset_token(token)
    except services.LinkError as error:
        return token_page((render_template("auth/link_error.html", message=error.message), 400))
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.LinkError as error:  # used in another tab meanwhile
            return token_page((render_template("auth/link_error.html", message=error.message),
                               400))
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Your password has been changed. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return token_page(render_template("auth/reset_password.html", form=form, user=user))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = services.invitation_from_token(token)
    except services.LinkError as error:
        return token_page((render_template("auth/link_error.html", message=error.message), 400))
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, password=form.password.data)
        except services.LinkError as error:  # accepted in another tab meanwhile
            return token_page((render_template("auth/link_error.html", message=error.message),
                               400))
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            logout_user()
            start_session(user)
            flash(f"Welcome, {user.name}. Your login is ready.", "success")
            return redirect(url_for("main.home"))
    return token_page(render_template("auth/accept_invitation.html", form=form,
                                      invitation=invitation))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = acting_user()
        try:
            services.change_password(user, current_password=form.current_password.data,
                                     new_password=form.password.data, ip=client_ip())
        except services.LoginLocked as error:
            form.form_errors.append(error.message)
            status = 429
        except ValidationError as error:
            db.session.commit()  # a wrong current password counts toward the lockout
            show_error(form, error)
            status = 400
        else:
            db.session.commit()
            start_session(user)  # the session token changed; keep this browser signed in
            flash("Your password has been changed. Other devices have been signed out.",
                  "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form), status


@bp.route("/users/")
@focal_contact_required
def users():
    return render_template(
        "auth/users.html", users=queries.all_users(),
        invitations=queries.open_invitations(), now=utcnow())


@bp.route("/users/invite", methods=["GET", "POST"])
@focal_contact_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = services.invite(acting_user(), email=form.email.data,
                                         name=form.name.data, role=form.role.data)
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"Invitation sent to {invitation.email}.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/invite.html", form=form)


@bp.route("/users/invitations/<int:invitation_id>/revoke", methods=["POST"])
@focal_contact_required
def revoke_invitation(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id)
    try:
        services.revoke_invitation(acting_user(), invitation)
    except ValidationError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"The invitation to {invitation.email} was withdrawn.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/<any(activate, deactivate):action>", methods=["POST"])
@focal_contact_required
def set_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    try:
        services.set_active(acting_user(), user, action == "activate")
    except ValidationError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{user.name}'s login is {'active' if user.is_active else 'deactivated'}.",
              "success")
    return redirect(url_for("auth.users"))
