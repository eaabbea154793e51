"""The status form an item's owner fills in. It only parses and shows input: which statuses
may follow which, and when a note is needed, live in services.py (the API obeys them too)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class StatusForm(FlaskForm):
    """The choices are set per item-year by the view (only the statuses this person may
    choose); a value outside them is left to the service, which says why it is refused."""

    status = RadioField("New status", validate_choice=False,
                        validators=[InputRequired("Choose a status.")])
    note = TextAreaField("Progress note", validators=[Optional(), Length(max=5000)],
                         render_kw={"rows": 5})
    # The version of the item-year the person saw: a save made meanwhile by someone else
    # is detected instead of overwritten.
    version = HiddenField()

    def expected_version(self) -> int | None:
        value = (self.version.data or "").strip()
        return int(value) if value.isdigit() else None
