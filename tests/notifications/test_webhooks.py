"""Webhooks against a real HTTP receiver on loopback: signed, retried with a back-off, only what the
organisation may see, never into a private network in production."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.choices import DeliveryStatus
from notifications.delivery import deliver_due
from notifications.models import Webhook, WebhookDelivery
from notifications.webhooks import check_url
from oap import services
from oap.models import OperationalAction, Organisation, ResultType

from .conftest import drain, user

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-the-partner-system"


def hook(receiver, code: str, **fields) -> Webhook:
    return Webhook.objects.create(
        organisation=Organisation.objects.get(code=code), url=receiver.url, secret=SECRET, **fields
    )


def submitted(level: str = "partners", org_user: str = "tcin"):
    author = user(org_user)
    entry = services.result_record(
        by=author,
        action=OperationalAction.objects.get(code=f"OA-{level}"),
        organisation=author.organisation,
        result_type=ResultType.objects.get(code="arrests"),
        year=2024,
        value=Decimal(12),
    )
    return services.result_submit(entry=entry, by=author)


def verify(secret: str, request, tolerance: int = 300) -> bool:
    """A receiver's check, written from the documented scheme (not with the sender's code)."""
    parts = dict(item.split("=", 1) for item in request.headers["x-empact-signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance


def test_a_validated_entry_is_posted_signed_to_the_organisations_that_may_see_it(people, receiver, eager):
    co, rs = hook(receiver, "CO"), hook(receiver, "RS")
    entry = submitted("partners")
    services.result_validate(entry=entry, by=user("driver"))
    drain()
    assert len(receiver.requests) == 2  # CO reported it; RS sees validated figures of partners-level actions
    for request in receiver.requests:
        assert verify(SECRET, request)
        assert not verify("another secret", request)
        assert request.headers["x-empact-event"] == "entry.validated"
        body = request.json
        assert body["event"] == "entry.validated" and body["id"] == request.headers["x-empact-delivery"]
        assert body["data"]["entry"]["action"] == "OA-partners" and body["data"]["entry"]["value"] == "12"
        assert body["data"]["entry"]["status"] == "validated"
    assert {r.json["organisation"] for r in receiver.requests} == {"CO", "RS"}
    assert WebhookDelivery.objects.filter(webhook__in=[co, rs], status=DeliveryStatus.SENT).count() == 2


def test_a_tampered_body_or_an_old_timestamp_fails_the_check(people, receiver, eager):
    hook(receiver, "CO")
    services.result_validate(entry=submitted(), by=user("driver"))
    drain()
    request = receiver.requests[0]
    request.body = request.body.replace(b'"12"', b'"13"')
    assert not verify(SECRET, request)
    assert not verify(SECRET, receiver.requests[0], tolerance=-1)


def test_a_return_goes_only_to_those_who_may_see_unvalidated_figures(people, receiver, eager):
    for code in ("CO", "RS", "DR", "UN"):
        hook(receiver, code)
    services.result_return(entry=submitted(), by=user("driver"), reason="Count March once.")
    drain()
    # CO reported it, DR drives the plan; RS and UN see validated figures only
    assert sorted(r.json["organisation"] for r in receiver.requests) == ["CO", "DR"]
    assert all(r.json["data"]["entry"]["return_reason"] == "Count March once." for r in receiver.requests)


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(people, receiver, eager, settings):
    settings.NOTIFICATIONS_RETRY_SECONDS = 30
    receiver.statuses = [500, 503]
    hook(receiver, "CO")
    services.result_validate(entry=submitted(), by=user("driver"))
    drain()  # the first attempt, right after the commit: 500
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, 500)
    first_retry = delivery.due_at
    assert deliver_due(now=first_retry - datetime.timedelta(seconds=1)) == {"emails": 0, "webhooks": 0}
    deliver_due(now=first_retry)  # the second: 503, and a longer wait
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.PENDING,
        2,
        "HTTP 503",
    )
    assert delivery.due_at - first_retry == datetime.timedelta(seconds=60)
    deliver_due(now=delivery.due_at)  # the third: 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.SENT, 3, 200)
    assert len(receiver.requests) == 3
    assert len({r.headers["x-empact-delivery"] for r in receiver.requests}) == 1  # one id: dedupe on it
    assert all(verify(SECRET, r) for r in receiver.requests)
    deliver_due(now=delivery.due_at + datetime.timedelta(days=1))
    assert len(receiver.requests) == 3  # delivered: never again


def test_a_receiver_that_never_answers_well_is_given_up_after_the_last_attempt(
    people, receiver, eager, settings
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    receiver.statuses = [500] * 10
    hook(receiver, "CO")
    services.result_validate(entry=submitted(), by=user("driver"))
    drain()
    now = timezone.now()
    for _ in range(5):
        now += datetime.timedelta(hours=2)
        deliver_due(now=now)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert len(receiver.requests) == 3


def test_what_the_organisation_no_longer_sees_at_delivery_time_is_withheld(people, receiver, eager):
    hook(receiver, "UN")
    entry = submitted("eu")
    services.result_validate(entry=entry, by=user("driver"))
    from outbox.services import dispatch

    dispatch()  # the event is recorded: UN (an EU Member State) may see it now
    delivery = WebhookDelivery.objects.get()
    OperationalAction.objects.filter(code="OA-eu").update(handling="participants")  # before the POST
    drain()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.WITHHELD
    assert receiver.requests == []


def test_an_action_change_is_posted_to_the_organisations_that_see_the_action(people, receiver, eager):
    for code in ("CO", "RS", "UN"):
        hook(receiver, code)
    action = OperationalAction.objects.get(code="OA-eu")
    services.action_update(action=action, by=user("driver"), status="completed")
    drain()
    # an EU-level action: CO takes part in it, UN is on the EU side; RS sees neither
    assert sorted(r.json["organisation"] for r in receiver.requests) == ["CO", "UN"]
    body = receiver.requests[0].json
    assert body["event"] == "action.changed" and body["data"]["action"]["status"] == "completed"


def test_events_not_subscribed_or_switched_off_are_not_sent(people, receiver, eager):
    hook(receiver, "CO", events=["action.changed"])
    hook(receiver, "CO", active=False)
    services.result_validate(entry=submitted(), by=user("driver"))
    drain()
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_private_and_loopback_targets_are_refused_in_production(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # production: DEBUG off
    for url in (
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ):
        with pytest.raises(ValidationError) as refused:
            check_url(url)
        assert "public hosts only" in str(refused.value), url
    with pytest.raises(ValidationError, match="Use https://"):
        check_url("http://93.184.216.34/hook")
    with pytest.raises(ValidationError, match="credentials"):
        check_url("https://user:pw@93.184.216.34/hook")
    with pytest.raises(ValidationError, match="https://"):
        check_url("ftp://93.184.216.34/hook")
    assert check_url("https://93.184.216.34/hook") == ["93.184.216.34"]


def test_a_webhook_registered_for_loopback_is_not_called_once_loopback_is_refused(
    people, receiver, eager, settings
):
    hook(receiver, "CO")
    services.result_validate(entry=submitted(), by=user("driver"))
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    drain()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "public hosts only" in delivery.last_error
    assert receiver.requests == []


def test_the_hub_registers_a_webhook_and_sends_a_test_event(people, receiver, eager, client, settings):
    hub = user("hub")
    hub.is_staff = True
    hub.save()
    client.force_login(hub)
    form = client.get("/admin/notifications/webhook/add/").content.decode()
    assert 'name="secret"' in form
    data = {
        "organisation": Organisation.objects.get(code="CO").pk,
        "url": "https://10.0.0.7/hook",
        "secret": SECRET,
        "events": ["entry.validated", "entry.returned"],
        "active": "on",
    }
    refused = client.post("/admin/notifications/webhook/add/", data)
    assert refused.status_code == 200 and "public hosts only" in refused.content.decode()
    assert client.post("/admin/notifications/webhook/add/", {**data, "url": receiver.url}).status_code == 302
    webhook = Webhook.objects.get()
    page = client.get(f"/admin/notifications/webhook/{webhook.pk}/change/").content.decode()
    assert 'id="send-test-event"' in page and SECRET not in page  # the secret is never shown again
    response = client.post(f"/admin/notifications/webhook/{webhook.pk}/test/")
    assert response.status_code == 302
    drain()
    assert len(receiver.requests) == 1 and receiver.requests[0].json["event"] == "ping"
    assert verify(SECRET, receiver.requests[0])
    log = client.get(response["Location"]).content.decode()
    assert "Test event" in log and "Sent" in log
    tcin = user("tcin")
    tcin.is_staff = True
    tcin.save()
    client.force_login(tcin)
    assert client.get("/admin/notifications/webhook/").status_code == 403
    assert client.post(f"/admin/notifications/webhook/{webhook.pk}/test/").status_code == 404
