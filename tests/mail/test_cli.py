"""`coalition mail deliver` and `coalition mail status` as an operator types them."""

from __future__ import annotations

import pytest

from tests.mail.fixtures_delivery import (
    add_subscribers,
    arrivals,
    make_list,
    queue_post,
    smtp_settings,
)


@pytest.fixture
def app_overrides(relay) -> dict:
    return smtp_settings(relay)


def test_deliver_once_sends_what_is_due_and_says_how_it_went(app, relay, runner):
    news = make_list()
    ann, bob, carla = add_subscribers(news, 3)
    queue_post(news)
    relay.answer(bob.email, "451 4.7.1 Try again later")
    relay.answer(carla.email, "550 5.1.1 User unknown")

    result = runner.invoke(args=["mail", "deliver", "--once"])

    assert result.exit_code == 0, result.output
    assert result.output == "1 sent, 1 to retry later, 1 failed.\n"
    assert set(arrivals(relay)) == {ann.email}

    status = runner.invoke(args=["mail", "status"])

    assert status.exit_code == 0, status.output
    assert status.output.splitlines() == [" queued: 0", "  retry: 1", "   sent: 1", " failed: 1"]


def test_quiet_prints_nothing_when_all_went_well(app, relay, runner):
    news = make_list()
    add_subscribers(news, 2)
    queue_post(news)

    result = runner.invoke(args=["mail", "deliver", "--once", "--quiet"])

    assert result.exit_code == 0 and result.output == ""
    assert len(relay.deliveries) == 2


def test_deliver_opens_as_many_connections_as_asked_at_most(app, relay, runner):
    news = make_list()
    subscribers = add_subscribers(news, 150)
    queue_post(news)

    result = runner.invoke(args=["mail", "deliver", "--once", "--connections", "3"])

    assert result.output == "150 sent, 0 to retry later, 0 failed.\n"
    assert arrivals(relay) == {s.email: 1 for s in subscribers}
    assert 1 <= relay.connections <= 3


BAD_OPTIONS = [
    (["--connections", "0"], "'--connections': 0 is not in the range 1<=x<=32"),
    (["--connections", "33"], "'--connections': 33 is not in the range 1<=x<=32"),
    (["--connections", "two"], "'two' is not a valid integer"),
    (["--rate", "-1"], "'--rate': -1 is not in the range x>=0"),
    (["--twice"], "No such option '--twice'"),
]


@pytest.mark.parametrize("backend", ["sqlite"])  # click refuses them before any database work
def test_deliver_refuses_bad_option_values_and_sends_nothing(app, relay, runner):
    news = make_list()
    add_subscribers(news, 1)
    queue_post(news)

    for option, complaint in BAD_OPTIONS:
        result = runner.invoke(args=["mail", "deliver", "--once", *option])

        assert result.exit_code == 2, option
        assert complaint in result.output
    assert relay.deliveries == []
    assert runner.invoke(args=["mail", "status"]).output.splitlines()[0] == " queued: 1"
