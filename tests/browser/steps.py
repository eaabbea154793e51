"""Steps several browser tests take, written once."""

import time

from playwright.sync_api import Page


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_for_mail(outbox, count: int = 1, timeout: float = 5.0):
    """The outbox once it holds `count` messages: mail leaves after the response does."""
    deadline = time.monotonic() + timeout
    while True:
        messages = outbox()
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.05)
