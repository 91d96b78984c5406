"""API tokens (hashed, expiring, revocable) and per-user throttling."""

import datetime
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from tests import factories as f

pytestmark = pytest.mark.django_db


def create_token(username, *args):
    out = StringIO()
    call_command("create_api_token", username, *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def me(key):
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_create_api_token_prints_a_working_key_as_the_last_line():
    user = f.UserFactory(username="co.partner")
    key = create_token("co.partner", "--days", "7")
    response = me(key)
    assert response.status_code == 200 and response.json()["username"] == "co.partner"
    token = AuthToken.objects.get(user=user)
    assert token.digest != key and key not in token.digest  # stored hashed, never in clear
    assert datetime.timedelta(days=6, hours=23) < token.expiry - timezone.now() <= datetime.timedelta(days=7)


def test_unknown_user_and_bad_days_are_refused():
    with pytest.raises(CommandError, match="No user"):
        create_token("nobody")
    f.UserFactory(username="de.coordinator")
    with pytest.raises(CommandError, match="--days"):
        create_token("de.coordinator", "--days", "0")


def test_expired_and_revoked_tokens_are_refused():
    f.UserFactory(username="rs.partner")
    expired, revoked = create_token("rs.partner"), create_token("rs.partner")
    AuthToken.objects.filter(token_key=expired[: CONSTANTS.TOKEN_KEY_LENGTH]).update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert me(expired).status_code == 401
    assert me(revoked).status_code == 200
    AuthToken.objects.filter(
        token_key=revoked[: CONSTANTS.TOKEN_KEY_LENGTH]
    ).delete()  # what "revoke" in the admin does
    assert me(revoked).status_code == 401
    assert me("not-a-token").status_code == 401


def test_tokens_are_listed_and_revocable_in_the_admin(admin_client):
    f.UserFactory(username="es.coordinator")
    key = create_token("es.coordinator")
    token = AuthToken.objects.get(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH])
    listing = admin_client.get("/admin/knox/authtoken/")
    assert listing.status_code == 200 and "es.coordinator" in listing.content.decode()
    response = admin_client.post(f"/admin/knox/authtoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert me(key).status_code == 401


def test_requests_are_throttled_per_user_with_the_error_body(monkeypatch):
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    busy, calm = f.UserFactory(username="busy"), f.UserFactory(username="calm")
    client = APIClient()
    client.force_authenticate(busy)
    codes = [client.get("/api/v1/cycles/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = client.get("/api/v1/cycles/").json()
    assert (
        body["status"] == 429
        and body["code"] == "throttled"
        and set(body) == {"status", "code", "detail", "errors"}
    )
    other = APIClient()
    other.force_authenticate(calm)
    assert other.get("/api/v1/cycles/").status_code == 200  # per user
    cache.clear()
