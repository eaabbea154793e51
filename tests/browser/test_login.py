"""Signing in and out in a real browser, and reaching the page by keyboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.steps import sign_in
from tests.factories import PASSWORD


def test_focal_contact_signs_in_and_out(page: Page, live_server, focal):
    sign_in(page, focal.email, PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Fatima Focal")

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")) \
        .to_be_visible()
    expect(page.get_by_role("heading", name="Welcome")).to_have_count(0)


def test_wrong_password_is_shown_with_the_form(page: Page, live_server, focal):
    sign_in(page, focal.email, "not the password")

    expect(page.get_by_role("alert")).to_contain_text(
        "The e-mail address or the password is not correct.")
    expect(page).to_have_url(re.compile(r"/login$"))
    # The form is still there to try again, with the address kept.
    expect(page.get_by_label("E-mail address")).to_have_value(focal.email)


def test_skip_link_is_the_first_stop_for_the_keyboard(page: Page, live_server):
    page.goto("/")
    page.keyboard.press("Tab")

    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    expect(focused).to_be_in_viewport()  # hidden off-screen until focused

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
