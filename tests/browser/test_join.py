"""Joining end to end in a browser: the form, the confirmation link from the e-mail, the
focal contact's approval, and the invitation that follows."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.steps import sign_in, wait_for_mail
from tests.factories import PASSWORD


def subjects(messages) -> list[str]:
    return [m["Subject"] for m in messages]


def test_a_visitor_applies_confirms_and_is_approved(page: Page, focal, outbox):
    page.goto("/join")
    page.get_by_label("Your name").fill("Amina Applicant")
    page.get_by_label("E-mail address").fill("amina@example.org")
    page.get_by_label("Organization", exact=True).fill("Kenya ICT Action Network")
    page.get_by_label("Stakeholder group", exact=True).select_option("civil_society")
    page.get_by_label("Country", exact=True).select_option(label="Kenya")
    page.get_by_label("Why do you want to join?").fill("I run a helpline for children.")
    page.get_by_label("List me in the public member directory").check()
    page.get_by_label("Show my name").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    [message] = wait_for_mail(outbox)
    assert message["To"].addresses[0].addr_spec == "amina@example.org"
    link = re.search(r"http://\S+/join/confirm/\S+", message.get_content()).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your address is confirmed")
    expect(page.get_by_text("Your application now goes to the coalition's focal contact")) \
        .to_be_visible()
    messages = wait_for_mail(outbox, 2)
    assert messages[1]["To"].addresses[0].addr_spec == focal.email
    review = re.search(r"http://\S+/members/applications/\d+", messages[1].get_content())

    sign_in(page, focal.email, PASSWORD)
    page.goto(review.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Application from Amina Applicant")
    expect(page.get_by_text("I run a helpline for children.")).to_be_visible()
    page.get_by_role("button", name="Approve the application").click()
    expect(page.get_by_role("status")).to_contain_text("Amina Applicant is now a member")
    expect(page.get_by_role("heading", level=1)).to_have_text("Applications")

    messages = wait_for_mail(outbox, 3)
    assert subjects(messages)[2] == "You are invited to Test Coalition"
    assert messages[2]["To"].addresses[0].addr_spec == "amina@example.org"
    assert re.search(r"http://\S+/invitations/\S+", messages[2].get_content())


def test_a_missing_country_is_announced_next_to_the_field(page: Page, outbox):
    page.goto("/join")
    page.get_by_label("Your name").fill("Amina Applicant")
    page.get_by_label("E-mail address").fill("amina@example.org")
    page.get_by_label("Stakeholder group", exact=True).select_option("academia")
    page.get_by_role("button", name="Send my application").click()
    field = page.get_by_label("Country", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("Choose your country"))
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    assert outbox() == []
