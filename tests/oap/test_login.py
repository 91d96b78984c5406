"""Login brute-force protection: repeated failures lock the account out, even with the right password."""

import pytest
from django.conf import settings

from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


def attempt(client, password):
    return client.post(LOGIN, {"username": "es.coordinator", "password": password})


def test_repeated_failures_lock_the_account(client):
    f.UserFactory(username="es.coordinator", is_staff=True)
    assert attempt(client, "pw-for-tests-1").status_code == 302  # the right password works
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert attempt(client, "wrong").status_code in (200, 429)
    locked = attempt(client, "pw-for-tests-1")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # nothing else is refused: another user still logs in from the same address
    f.UserFactory(username="de.coordinator", is_staff=True)
    ok = client.post(LOGIN, {"username": "de.coordinator", "password": "pw-for-tests-1"})
    assert ok.status_code == 302
