"""`coalition users add|invite|list` as an administrator types them."""

from __future__ import annotations

from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.auth.models import User


def test_users_add_with_password_from_stdin(runner, db):
    result = runner.invoke(args=["users", "add", "--email", "Ana@Example.org", "--name", "Ana",
                                 "--role", "focal_contact", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created focal contact Ana <ana@example.org>" in result.output
    user = db.session.scalars(select(User)).one()
    assert user.is_focal_contact and user.check_password("a long enough password")
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.actor_id is None and event.actor_label == "command: users add"


def test_users_add_prompts_for_the_password_twice(runner, db):
    result = runner.invoke(args=["users", "add", "--email", "b@example.org", "--name", "B"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(User)).one().role == "member"


def test_users_add_refuses_bad_input_with_a_clear_message(runner, db, member):
    result = runner.invoke(args=["users", "add", "--email", "broken@", "--name", "X",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code != 0 and "not a valid e-mail address" in result.output
    result = runner.invoke(args=["users", "add", "--email", member.email, "--name", "X",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code != 0 and "already a login" in result.output
    result = runner.invoke(args=["users", "add", "--email", "c@example.org", "--name", "X",
                                 "--role", "admin", "--password-stdin"], input="x\n")
    assert result.exit_code != 0 and "admin" in result.output
    assert [u.email for u in db.session.scalars(select(User))] == [member.email]


def test_users_invite_sends_the_invitation(runner, db, outbox):
    result = runner.invoke(args=["users", "invite", "--email", "new@example.org",
                                 "--name", "New Person"])
    assert result.exit_code == 0, result.output
    assert "Invitation sent to new@example.org" in result.output
    [message] = outbox()
    assert "http://coalition.test/invitations/" in message.get_content()


def test_users_list(runner, focal, member):
    result = runner.invoke(args=["users", "list"])
    assert "focal@example.org\tFatima Focal\tfocal_contact\tactive" in result.output
    assert "member@example.org" in result.output
