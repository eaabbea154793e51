"""Factory fixtures: create_user(**overrides) and friends, committed and ready to use."""

from __future__ import annotations

import itertools

import pytest

from coalition.auth import services as auth
from coalition.auth.models import Role, SystemActor, User
from coalition.extensions import db

PASSWORD = "correct horse battery staple"
SYSTEM = SystemActor("command: tests")
_sequence = itertools.count(1)


def make_user(**overrides) -> User:
    n = next(_sequence)
    values = {"email": f"person{n}@example.org", "name": f"Person {n}",
              "role": Role.MEMBER.value, "password": PASSWORD}
    values.update(overrides)
    is_active = values.pop("is_active", True)
    user = auth.create_user(SYSTEM, **values)
    user.is_active = is_active
    db.session.commit()
    return user


@pytest.fixture
def create_user(app):
    return make_user


@pytest.fixture
def focal(app) -> User:
    return make_user(email="focal@example.org", name="Fatima Focal",
                     role=Role.FOCAL_CONTACT.value)


@pytest.fixture
def member(app) -> User:
    return make_user(email="member@example.org", name="Mateo Member")
