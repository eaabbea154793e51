"""An invitation end to end in a browser: sent from the Logins page, accepted from the e-mail."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.steps import sign_in, wait_for_mail
from tests.factories import PASSWORD


def test_invited_person_chooses_a_password_and_is_signed_in(page: Page, focal, outbox):
    sign_in(page, focal.email, PASSWORD)
    page.get_by_role("link", name="Logins").first.click()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Name").fill("Nadia New")
    page.get_by_label("E-mail address").fill("nadia@example.org")
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nadia@example.org")
    page.get_by_role("button", name="Sign out").click()

    [message] = wait_for_mail(outbox)
    link = re.search(r"http://\S+/invitations/\S+", message.get_content()).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nadia New")
    page.get_by_label("New password", exact=True).fill("nadia's own password")
    page.get_by_label("New password again").fill("nadia's own password")
    page.get_by_role("button", name="Create my login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nadia New")

    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("already been used")


def test_invalid_input_is_announced_next_to_the_field(page: Page, focal):
    sign_in(page, focal.email, PASSWORD)
    page.goto("/users/invite")
    page.get_by_label("Name").fill("Nadia New")
    page.get_by_label("E-mail address").fill("nadia-at-example.org")
    page.get_by_role("button", name="Send the invitation").click()
    field = page.get_by_label("E-mail address")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("not a valid e-mail address"))
