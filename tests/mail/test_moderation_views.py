"""The moderation pages: the queue, a held post and the decisions on it, moderators and
sender rules, the moderation settings and toggles on the list's pages, and who may see or
do any of it."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.mail import moderation
from coalition.mail.models import (
    Attachment,
    Delivery,
    ListModerator,
    MailingList,
    Post,
    PostStatus,
    SenderRule,
    Subscription,
)
from tests.factories import PASSWORD, SYSTEM, make_user
from tests.mail.fixtures_manage import make_draft, make_list, subscribe, text_of
from tests.mail.test_moderation import held_post


def sign_in(app, user):
    """A client of its own, signed in as `user` (tests with several people at once)."""
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def flashes(response) -> str:
    return html.unescape(" ".join(re.findall(r'<p class="flash[^"]*">(.*?)</p>',
                                             text_of(response), re.S)))


@pytest.fixture
def forum(app) -> MailingList:
    forum = make_list("forum", kind="discussion", posting_policy="subscribers")
    subscribe(forum, "ann@example.org", "bob@example.org")
    return forum


@pytest.fixture
def other(app) -> MailingList:
    return make_list("other-list", kind="discussion")


@pytest.fixture
def moderator(forum):
    user = make_user(email="mona@example.org", name="Mona Moderator")
    moderation.add_moderator(SYSTEM, forum, user.email)
    db.session.commit()
    return user


@pytest.fixture
def post(forum) -> Post:
    post = held_post(forum, subject="Can I join?")
    db.session.add(Attachment(post=post, position=0, filename="agenda<1>.pdf",
                              content_type="application/pdf", size=2048, data=b"%PDF"))
    db.session.commit()
    return post


def status_of(post: Post) -> str:
    db.session.expire_all()
    return db.session.get(Post, post.id).status


# --- the queue and a held post ----------------------------------------------------------

def test_the_queue_lists_held_posts_oldest_first(app, forum, moderator, post):
    younger = held_post(forum, subject="A younger one", sender="late@example.net")
    page = text_of(sign_in(app, moderator).get("/lists/forum/moderation/"))
    assert "2 messages wait for a decision" in page
    assert page.index("Can I join?") < page.index("A younger one")
    assert "stranger@example.net" in page and "The sender is not a subscriber" in page
    assert "1 attachment" in page
    assert f'/lists/forum/moderation/{post.id}"' in page
    assert f'action="/lists/forum/moderation/{younger.id}/approve"' in page
    assert f'action="/lists/forum/moderation/{younger.id}/discard"' in page


def test_an_empty_queue_says_so(app, forum, moderator):
    page = text_of(sign_in(app, moderator).get("/lists/forum/moderation/"))
    assert "No message waits for a decision." in page


def test_a_held_post_is_shown_as_text_with_its_attachments(app, moderator, post):
    response = sign_in(app, moderator).get(f"/lists/forum/moderation/{post.id}")
    page = text_of(response)
    assert response.status_code == 200
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "agenda&lt;1&gt;.pdf" in page and "application/pdf, 2 KB" in page
    assert "The sender is not a subscriber" in page
    for action in ("approve", "reject", "discard", "accept-always"):
        assert f'action="/lists/forum/moderation/{post.id}/{action}"' in page


def test_approving_sends_the_post_and_says_so(app, moderator, post):
    response = sign_in(app, moderator).post(f"/lists/forum/moderation/{post.id}/approve",
                                            follow_redirects=True)
    assert "“Can I join?” is approved: it goes to 2 subscriber(s)" in flashes(response)
    assert status_of(post) == PostStatus.QUEUED
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2
    assert "No message waits for a decision." in text_of(response)


def test_rejecting_tells_the_sender_with_the_note(app, moderator, post, outbox):
    before = len(outbox())
    response = sign_in(app, moderator).post(f"/lists/forum/moderation/{post.id}/reject",
                                            data={"note": "Subscribe first, please."})
    assert response.status_code == 302
    assert response.headers["Location"] == "/lists/forum/moderation/"
    assert status_of(post) == PostStatus.REJECTED
    (notice,) = outbox()[before:]
    assert notice["To"].addresses[0].addr_spec == "stranger@example.net"
    assert "Subscribe first, please." in notice.get_content()


def test_a_rejection_note_too_long_shows_the_form_again(app, moderator, post, outbox):
    before = len(outbox())
    response = sign_in(app, moderator).post(f"/lists/forum/moderation/{post.id}/reject",
                                            data={"note": "x" * 5001})
    assert response.status_code == 400
    assert "Field cannot be longer than 5000 characters." in text_of(response)
    assert status_of(post) == PostStatus.HELD and len(outbox()) == before


def test_discarding_says_nobody_is_told(app, moderator, post):
    response = sign_in(app, moderator).post(f"/lists/forum/moderation/{post.id}/discard",
                                            follow_redirects=True)
    assert "“Can I join?” is discarded; nobody is told." in flashes(response)
    assert status_of(post) == PostStatus.DISCARDED


def test_always_accepting_approves_and_adds_the_rule(app, forum, moderator, post):
    held_post(forum, subject="Earlier")
    response = sign_in(app, moderator).post(
        f"/lists/forum/moderation/{post.id}/accept-always", follow_redirects=True)
    message = flashes(response)
    assert "posts from stranger@example.net will no longer be held" in message
    assert "1 earlier message(s) from them still wait" in message
    assert status_of(post) == PostStatus.QUEUED
    assert db.session.scalar(select(SenderRule.action)) == "accept"


def test_the_second_moderator_is_told_and_nothing_changes(app, focal, moderator, post):
    first, second = sign_in(app, moderator), sign_in(app, focal)
    assert second.get(f"/lists/forum/moderation/{post.id}").status_code == 200
    first.post(f"/lists/forum/moderation/{post.id}/discard")
    response = second.post(f"/lists/forum/moderation/{post.id}/approve",
                           follow_redirects=True)
    assert "no longer held: it was discarded by Mona Moderator. Nothing was changed." \
        in flashes(response)
    assert status_of(post) == PostStatus.DISCARDED
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    # The post's page is gone with it; a late rejection says so too and tells nobody.
    assert second.get(f"/lists/forum/moderation/{post.id}").status_code == 404
    response = second.post(f"/lists/forum/moderation/{post.id}/reject",
                           data={"note": "late"}, follow_redirects=True)
    assert "no longer held" in flashes(response)


def test_posts_that_are_not_held_here_are_not_found(app, forum, other, focal, post):
    client = sign_in(app, focal)
    elsewhere = held_post(other, subject="Elsewhere")
    draft = make_draft(forum, focal)
    for path in (f"/lists/other-list/moderation/{post.id}",
                 f"/lists/forum/moderation/{elsewhere.id}",
                 f"/lists/forum/moderation/{draft.id}",
                 "/lists/forum/moderation/999999",
                 "/lists/no-such-list/moderation/"):
        assert client.get(path).status_code == 404, path
    for path in (f"/lists/other-list/moderation/{post.id}/approve",
                 f"/lists/forum/moderation/{draft.id}/approve",
                 f"/lists/forum/moderation/{draft.id}/discard"):
        assert client.post(path).status_code == 404, path
    assert status_of(post) == PostStatus.HELD
    assert status_of(draft) == PostStatus.DRAFT


# --- who may see and do it ------------------------------------------------------------------

def paths(post: Post) -> tuple[list[str], list[tuple[str, dict]]]:
    pages = ["/lists/forum/moderation/", f"/lists/forum/moderation/{post.id}",
             "/lists/forum/moderators"]
    actions = [(f"/lists/forum/moderation/{post.id}/{action}", {"note": "no"})
               for action in ("approve", "reject", "discard", "accept-always")]
    actions += [("/lists/forum/moderators/add", {"email": "member@example.org"}),
                ("/lists/forum/sender-rules", {"email": "x@example.net", "action": "accept"})]
    return pages, actions


def test_anonymous_visitors_are_sent_to_sign_in(anonymous, post):
    pages, actions = paths(post)
    for path in pages:
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path, data in actions:
        response = anonymous.post(path, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert status_of(post) == PostStatus.HELD


def test_a_plain_member_is_forbidden(app, member, post):
    client = sign_in(app, member)
    pages, actions = paths(post)
    for path in pages:
        assert client.get(path).status_code == 403, path
    for path, data in actions:
        assert client.post(path, data=data).status_code == 403, path
    assert status_of(post) == PostStatus.HELD
    assert db.session.scalar(select(func.count()).select_from(SenderRule)) == 0
    assert db.session.scalar(select(func.count()).select_from(ListModerator)) == 0


def test_a_moderator_of_another_list_is_forbidden(app, other, post):
    elsewhere = make_user(email="elsewhere@example.org")
    moderation.add_moderator(SYSTEM, other, elsewhere.email)
    db.session.commit()
    client = sign_in(app, elsewhere)
    assert client.get("/lists/other-list/moderation/").status_code == 200
    pages, actions = paths(post)
    for path in pages:
        assert client.get(path).status_code == 403, path
    for path, data in actions:
        assert client.post(path, data=data).status_code == 403, path
    assert status_of(post) == PostStatus.HELD
    assert db.session.scalar(select(func.count()).select_from(SenderRule)) == 0


def test_a_decision_without_the_csrf_token_is_refused(app, moderator, post):
    response = sign_in(app, moderator).post(f"/lists/forum/moderation/{post.id}/approve",
                                            csrf=False)
    assert response.status_code == 400
    assert status_of(post) == PostStatus.HELD


# --- moderators and sender rules -------------------------------------------------------------

def test_a_focal_contact_adds_and_removes_a_moderator(focal_client, forum):
    make_user(email="nina@example.org", name="Nina")
    response = focal_client.post("/lists/forum/moderators/add",
                                 data={"email": "Nina@example.org"}, follow_redirects=True)
    assert "nina@example.org now moderates Forum." in flashes(response)
    assert "Nina &lt;nina@example.org&gt;" in text_of(response)
    moderator = db.session.scalar(select(ListModerator))
    response = focal_client.post(f"/lists/forum/moderators/{moderator.id}/remove",
                                 follow_redirects=True)
    assert "nina@example.org no longer moderates Forum." in flashes(response)
    assert db.session.scalar(select(func.count()).select_from(ListModerator)) == 0


def test_a_moderator_who_has_no_login_is_refused_with_a_reason(focal_client, forum):
    response = focal_client.post("/lists/forum/moderators/add",
                                 data={"email": "nobody@example.org"})
    assert response.status_code == 400
    assert "Nobody signs in with this address" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(ListModerator)) == 0


def test_a_moderator_of_one_list_cannot_remove_another_lists_moderator(focal_client, forum,
                                                                       other):
    user = make_user()
    moderation.add_moderator(SYSTEM, other, user.email)
    db.session.commit()
    moderator = db.session.scalar(select(ListModerator))
    assert focal_client.post(f"/lists/forum/moderators/{moderator.id}/remove"
                             ).status_code == 404


def test_a_moderator_sees_the_rules_but_does_not_choose_moderators(app, moderator, forum):
    client = sign_in(app, moderator)
    page = text_of(client.get("/lists/forum/moderators"))
    assert "Mona Moderator &lt;mona@example.org&gt;" in page
    assert "/lists/forum/moderators/add" not in page and "Remove" not in page
    response = client.post("/lists/forum/sender-rules",
                           data={"email": "Spam@Example.net", "action": "discard"},
                           follow_redirects=True)
    assert "Posts from spam@example.net: discard silently." in flashes(response)
    rule = db.session.scalar(select(SenderRule))
    assert "spam@example.net" in text_of(response)
    response = client.post(f"/lists/forum/sender-rules/{rule.id}/remove",
                           follow_redirects=True)
    assert "The rule for spam@example.net is removed" in flashes(response)
    assert db.session.scalar(select(func.count()).select_from(SenderRule)) == 0
    assert client.post(f"/lists/forum/moderators/{db.session.scalar(select(ListModerator.id))}"
                       "/remove").status_code == 403


def test_a_bad_sender_rule_shows_the_form_again(focal_client, forum):
    response = focal_client.post("/lists/forum/sender-rules",
                                 data={"email": "not an address", "action": "accept"})
    assert response.status_code == 400
    assert "This is not a valid e-mail address" in text_of(response)
    response = focal_client.post("/lists/forum/sender-rules",
                                 data={"email": "a@example.net", "action": "bless"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SenderRule)) == 0


def test_another_lists_rule_is_not_found(focal_client, forum, other):
    rule = moderation.set_sender_rule(SYSTEM, other, "a@example.net", "accept")
    db.session.commit()
    assert focal_client.post(f"/lists/forum/sender-rules/{rule.id}/remove"
                             ).status_code == 404


# --- the list's pages link to the queue ----------------------------------------------------------

def test_the_list_page_shows_moderators_their_queue(app, forum, moderator, member, post):
    page = text_of(sign_in(app, moderator).get("/lists/forum/"))
    assert '<a href="/lists/forum/moderation/">Moderation queue (1 held)</a>' in page
    assert "/moderation/" not in text_of(sign_in(app, member).get("/lists/forum/"))


def test_my_lists_page_shows_a_moderator_their_queues(app, forum, moderator, member, post):
    page = text_of(sign_in(app, moderator).get("/lists/mine"))
    assert "Lists I moderate" in page
    assert '<a href="/lists/forum/moderation/">Forum: moderation queue (1 held)</a>' in page
    assert "Lists I moderate" not in text_of(sign_in(app, member).get("/lists/mine"))


def test_the_settings_page_links_to_the_queue_and_has_the_moderation_settings(
        focal_client, forum, post):
    page = text_of(focal_client.get("/lists/forum/settings"))
    assert "Moderation queue (1 held)" in page
    for name in ("nonmember_action", "max_message_kb", "attachment_policy", "hold_days"):
        assert f'name="{name}"' in page, name
    assert 'href="/lists/forum/moderators"' in page


def settings(forum: MailingList, **overrides) -> dict:
    values = {"name": forum.name, "display_name": forum.display_name, "kind": forum.kind,
              "subscription_policy": forum.subscription_policy,
              "posting_policy": forum.posting_policy, "reply_to": forum.reply_to,
              "archive_visibility": forum.archive_visibility,
              "nonmember_action": "reject", "max_message_kb": "2048",
              "attachment_policy": "hold", "hold_days": "7"}
    values.update(overrides)
    return values


def test_the_moderation_settings_are_saved(focal_client, forum):
    response = focal_client.post("/lists/forum/settings", data=settings(forum))
    assert response.status_code == 302
    db.session.expire_all()
    assert (forum.nonmember_action, forum.max_message_kb, forum.attachment_policy,
            forum.hold_days) == ("reject", 2048, "hold", 7)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_message_kb", "0", "Enter between 1 and 25,600 KB."),
    ("max_message_kb", "25601", "Enter between 1 and 25,600 KB."),
    ("max_message_kb", "", "Enter a whole number of KB."),
    ("max_message_kb", "lots", "Not a valid integer value."),
    ("hold_days", "91", "Enter between 1 and 90 days."),
    ("nonmember_action", "accept", "Not a valid choice."),
])
def test_bad_moderation_settings_are_refused(focal_client, forum, field, value, message):
    response = focal_client.post("/lists/forum/settings",
                                 data=settings(forum, **{field: value}))
    assert response.status_code == 400
    assert message in html.unescape(text_of(response))
    db.session.expire_all()
    assert (forum.nonmember_action, forum.max_message_kb, forum.hold_days) == \
        ("hold", 1024, 14)


def test_a_subscriber_is_put_on_moderation_from_the_subscribers_page(focal_client, forum):
    ann = db.session.scalar(select(Subscription).where(Subscription.email ==
                                                       "ann@example.org"))
    page = text_of(focal_client.get("/lists/forum/subscribers"))
    assert f'action="/lists/forum/subscribers/{ann.id}/moderated"' in page
    response = focal_client.post(f"/lists/forum/subscribers/{ann.id}/moderated",
                                 data={"enabled": "1"}, follow_redirects=True)
    assert "Posts from ann@example.org are held for a moderator from now on." \
        in flashes(response)
    assert "on moderation: posts are held" in text_of(response)
    db.session.expire_all()
    assert ann.moderated is True
    focal_client.post(f"/lists/forum/subscribers/{ann.id}/moderated", data={"enabled": "0"})
    db.session.expire_all()
    assert ann.moderated is False
    assert focal_client.post(f"/lists/forum/subscribers/{ann.id}/moderated",
                             data={"enabled": "maybe"}).status_code == 400


def test_only_focal_contacts_use_the_subscribers_page_toggle(app, moderator, forum):
    ann = db.session.scalar(select(Subscription).where(Subscription.email ==
                                                       "ann@example.org"))
    response = sign_in(app, moderator).post(f"/lists/forum/subscribers/{ann.id}/moderated",
                                            data={"enabled": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert ann.moderated is False
