"""The focal contact's page of personal access tokens for the JSON API: list, create, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from coalition.api import services
from coalition.api.models import ApiToken
from coalition.auth.permissions import focal_contact_required
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.web import acting_user, show_error

bp = Blueprint("api_tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField("Name of the new token",
                       validators=[DataRequired("Enter a name."), Length(max=100)],
                       description="What will use it, for example “website member list”.",
                       render_kw={"autocomplete": "off"})


@bp.route("/account/tokens", methods=["GET", "POST"])
@focal_contact_required
def tokens():
    user = acting_user()
    form = TokenForm()
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = services.create_token(user, name=form.name.data)
        except ValidationError as error:
            show_error(form, error)
            status = 400
        else:
            db.session.commit()
            # Shown in this answer only, never put in the session or a redirect: once the
            # page is gone the secret exists nowhere but with the person who copied it.
            return render_template("api/tokens_created.html", token=token, secret=secret)
    elif form.is_submitted():
        status = 400
    return render_template("api/tokens.html", form=form,
                           tokens=services.tokens_of(user)), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@focal_contact_required
def revoke(token_id: int):
    user = acting_user()
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)  # another person's token: not theirs to see, so not there at all
    services.revoke_token(user, token)
    db.session.commit()
    flash(f"The token “{token.name}” is revoked: requests that use it are refused from now on.",
          "success")
    return redirect(url_for("api_tokens.tokens"))
