"""Fixtures of the notification tests: a real SMTP server and HTTP receiver, the outbox run in
process, and the access matrix's world with a user (and an e-mail address) for every role."""

from __future__ import annotations

import pytest

from empact_tracker.celery import app as celery_app
from oap.models import Organisation, User
from tests import factories as f

from .receivers import HTTPReceiver, SMTPServer


@pytest.fixture
def smtp(settings):
    """A real SMTP server; Django's SMTP backend sends to it."""
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


@pytest.fixture
def receiver():
    server = HTTPReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def eager(settings):
    """Outbox messages run in process (no broker), e-mails go as soon as they are made."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.NOTIFICATIONS_BATCH_SECONDS = 0
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    yield
    celery_app.conf.task_always_eager = saved


def drain() -> int:
    """Run every outbox message, and those they write, until none is left (what the beat does)."""
    from outbox.services import dispatch

    total = 0
    while sent := dispatch():
        total += sent
    return total


@pytest.fixture
def people(world):
    """The world's users with e-mail addresses, plus a coordinator of the actions' leader (LD)."""
    rows, users = world
    users = dict(users)
    users["leader"] = f.UserFactory(username="leader", organisation=Organisation.objects.get(code="LD"))
    for user in users.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return rows, users


def addresses(*usernames: str) -> set[str]:
    return {f"{name}@example.org" for name in usernames}


def user(username: str) -> User:
    return User.objects.get(username=username)
