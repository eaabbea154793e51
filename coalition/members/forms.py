"""Member and organization forms: they parse and show input; rules live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from coalition.members import countries
from coalition.members.models import Gender, MemberStatus, Region, StakeholderGroup
from coalition.members.queries import SORTS


class OptionalSelectField(SelectField):
    """A select whose blank option stands for "none": an empty value in the record (None)
    selects it, and a form post without the field counts as choosing it."""

    def process_data(self, value):
        super().process_data("" if value is None else str(value))


def _choices(vocabulary, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(v.value, v.label) for v in vocabulary]


def country_choices(blank: str = "Choose a country") -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(code, name)
                                        for code, name in countries.choices()]


class ConsentFields:
    """The public-listing consent, one box per field (mixed into the member forms)."""

    listed_publicly = BooleanField("List me in the public member directory")
    show_name = BooleanField("Show my name")
    show_organization = BooleanField("Show my organization")
    show_stakeholder_group = BooleanField("Show my stakeholder group")
    show_country = BooleanField("Show my country and region")


class ProfileForm(FlaskForm, ConsentFields):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    title = StringField("Title or position", validators=[Optional(), Length(max=200)],
                        render_kw={"autocomplete": "organization-title"})
    organization_id = OptionalSelectField("Organization", validate_choice=False)
    organization_name = StringField(
        "Or, if it is not in the list, its name", validators=[Optional(), Length(max=300)],
        render_kw={"autocomplete": "organization"})
    stakeholder_group = OptionalSelectField("Stakeholder group", default="",
                                            choices=_choices(StakeholderGroup,
                                                             "Choose a group"))
    country = OptionalSelectField("Country", validate_choice=False)
    gender = OptionalSelectField("Gender (optional)", choices=_choices(Gender, "Not given"),
                                 default="")
    gender_description = StringField("Gender, in your own words",
                                     validators=[Optional(), Length(max=100)],
                                     description="Only if you chose “Self-described”.")

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = [SelectChoice("", "Not in the list / none")] + [
            SelectChoice(str(o.id), o.display_name) for o in organizations]
        self.country.choices = country_choices()


class MemberForm(ProfileForm):
    email = EmailField("E-mail address", validators=[Optional(), Length(max=254)])
    region = OptionalSelectField("UN regional group", choices=_choices(
        Region, "Follow the country"), default="",
        description="Leave on “Follow the country” unless this member should be counted "
                    "in another group.")
    notes = TextAreaField("Notes (seen by focal contacts only)",
                          validators=[Optional(), Length(max=5000)])


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=_choices(MemberStatus))
    # A text field, not the browser's date picker: its calendar button takes keyboard focus
    # without a visible focus ring, and typing a date is quicker (GOV.UK's advice too).
    on = DateField("As of", validators=[Optional()], widget=TextInput(),
                   description="For example 2026-03-31. Leave empty for today.",
                   render_kw={"inputmode": "numeric", "placeholder": "YYYY-MM-DD"})


class EraseForm(FlaskForm):
    confirm = StringField("Type ERASE to confirm", validators=[DataRequired()])


class OrganizationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=300)])
    acronym = StringField("Acronym", validators=[Optional(), Length(max=50)])
    stakeholder_group = OptionalSelectField("Stakeholder group", default="",
                                            choices=_choices(StakeholderGroup, "Not given"))
    country = OptionalSelectField("Country", validate_choice=False)
    website = StringField("Website", validators=[Optional(), Length(max=500)],
                          render_kw={"inputmode": "url"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices("Not given")


class DirectoryFilterForm(Form):
    """The directory's search and filters: a GET form, so results can be linked to."""

    q = StringField("Search name, e-mail or organization")
    stakeholder_group = SelectField("Stakeholder group", choices=_choices(
        StakeholderGroup, "All groups"), validate_choice=False)
    region = SelectField("UN region", choices=_choices(Region, "All regions"),
                         validate_choice=False)
    country = SelectField("Country", validate_choice=False)
    status = SelectField("Status", choices=[SelectChoice("active", "Active"),
                                            SelectChoice("applicant", "Applicant"),
                                            SelectChoice("lapsed", "Lapsed"),
                                            SelectChoice("left", "Left"),
                                            SelectChoice("", "Any status")],
                         validate_choice=False)
    sort = SelectField("Sort by", choices=[
        SelectChoice("name", "Name A–Z"), SelectChoice("-name", "Name Z–A"),
        SelectChoice("-joined", "Newest members"), SelectChoice("joined", "Oldest members"),
        SelectChoice("country", "Country"), SelectChoice("group", "Stakeholder group")],
        validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices("All countries")

    def sort_value(self) -> str:
        return self.sort.data if self.sort.data in SORTS else "name"
