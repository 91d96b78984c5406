"""Workflow events reach exactly whom they concern, by e-mail (a real SMTP server) and in the admin.

Each test takes the steps through the services, as every entry point does; the event is the
outbox message written in the step's transaction, run in process here (`drain`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.choices import DeliveryStatus, Kind, Mode
from notifications.delivery import deliver_due
from notifications.models import Email, Event, Notification
from notifications.services import record_event, set_modes
from oap import services
from oap.models import OperationalAction, ResultType
from outbox.models import Message

from .conftest import addresses, drain, user

pytestmark = pytest.mark.django_db


def _draft(org_user: str, level: str = "eu", year: int = 2024, counter: str = "arrests"):
    author = user(org_user)
    return services.result_record(
        by=author,
        action=OperationalAction.objects.get(code=f"OA-{level}"),
        organisation=author.organisation,
        result_type=ResultType.objects.get_or_create(code=counter, defaults={"name": counter})[0],
        year=year,
        value=Decimal(7),
    )


def test_a_submission_reaches_exactly_the_users_who_may_validate_it(people, smtp, eager):
    entry = _draft("tcin")
    services.result_submit(entry=entry, by=user("tcin"))
    drain()
    # the plan's driver, the action's leader, the hub and the superuser; never the author's
    # organisation, an uninvolved Member State, an agency or the other third country
    assert smtp.recipients() == addresses("driver", "leader", "hub", "root")
    assert all(len(smtp.to(address)) == 1 for address in smtp.recipients())
    message = smtp.to("driver@example.org")[0]
    assert "OA-eu" in message["Subject"] and "submitted" in message["Subject"]
    assert "OA-eu" in message.text and "OA-eu" in message.html
    assert "It waits for you to validate or return it." in message.text
    assert message["Message-ID"].startswith("<empact-email-")
    told = set(Notification.objects.filter(kind=Kind.SUBMITTED).values_list("user__username", flat=True))
    assert told == {"driver", "leader", "hub", "root"}


def test_a_return_reaches_the_reporting_organisation_with_the_reason(people, smtp, eager):
    entry = _draft("tcin")
    services.result_submit(entry=entry, by=user("tcin"))
    drain()
    smtp.messages.clear()
    reason = "The arrests of March are counted twice; please correct them."
    services.result_return(entry=entry, by=user("driver"), reason=reason)
    drain()
    assert smtp.recipients() == addresses("tcin")
    message = smtp.to("tcin@example.org")[0]
    assert "returned" in message["Subject"]
    assert f"Reason: {reason}" in message.text
    assert reason in message.html


def test_a_validation_reaches_the_reporting_organisations_coordinators(people, smtp, eager):
    entry = _draft("tcin")
    services.result_submit(entry=entry, by=user("tcin"))
    services.result_validate(entry=entry, by=user("hub"))
    drain()
    validated = [m for m in smtp.messages if "validated" in m["Subject"]]
    assert {a for m in validated for a in m.rcpt_tos} == addresses("tcin")


def test_a_step_rolled_back_tells_nobody(people, smtp, eager):
    entry = _draft("tcin")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.result_submit(entry=entry, by=user("tcin"))
        raise RuntimeError("the request failed after the step")
    assert drain() == 0
    assert not Event.objects.exists() and not smtp.messages


def test_an_event_delivered_twice_is_recorded_and_told_once(people, smtp, eager):
    """The outbox may send a message twice: its task id is the event's key."""
    entry = _draft("tcin")
    services.result_submit(entry=entry, by=user("tcin"))
    message = Message.objects.get(task_name="notifications.record_event")
    kind, data = message.args
    first = record_event(key=message.task_id, kind=kind, data=data)
    again = record_event(key=message.task_id, kind=kind, data=data)
    assert first is not None and again is None
    assert Event.objects.count() == 1
    assert Notification.objects.filter(kind=Kind.SUBMITTED).count() == 4
    deliver_due()
    deliver_due()
    assert len(smtp.messages) == 4


def test_each_user_chooses_immediately_daily_or_off(people, smtp, eager, settings):
    set_modes(user=user("driver"), modes={Kind.SUBMITTED: Mode.OFF})
    set_modes(user=user("hub"), modes={Kind.SUBMITTED: Mode.DAILY})
    settings.NOTIFICATIONS_DIGEST_HOUR = 7
    for counter in ("arrests", "seizures"):
        entry = _draft("tcin", counter=counter)
        services.result_submit(entry=entry, by=user("tcin"))
    drain()
    assert smtp.recipients() == addresses("leader", "root")  # right away (one e-mail each, both figures)
    assert not Notification.objects.filter(user__username="driver").exists()  # off: not told at all
    hub_email = Email.objects.get(user__username="hub")
    assert hub_email.status == DeliveryStatus.PENDING
    assert timezone.localtime(hub_email.due_at).hour == 7  # the next digest hour
    smtp.messages.clear()
    deliver_due(now=hub_email.due_at - datetime.timedelta(seconds=1))
    assert smtp.messages == []  # not before the digest hour
    deliver_due(now=hub_email.due_at)
    digest = smtp.to("hub@example.org")
    assert len(digest) == 1 and "daily digest: 2 notifications" in digest[0]["Subject"]


def test_an_immediate_email_gathers_what_happens_within_the_batching_window(people, smtp, eager, settings):
    settings.NOTIFICATIONS_BATCH_SECONDS = 60
    for counter in ("arrests", "seizures", "victims"):
        services.result_submit(entry=_draft("tcin", counter=counter), by=user("tcin"))
    drain()
    assert smtp.messages == []  # within the window
    email = Email.objects.get(user__username="driver")
    deliver_due(now=email.due_at)
    mails = smtp.to("driver@example.org")
    assert len(mails) == 1 and "3 notifications" in mails[0]["Subject"]
    assert mails[0].text.count("OA-eu —") == 3


def test_the_dashboard_counts_the_unread_ones_and_the_list_marks_them_read(people, eager, client):
    services.result_submit(entry=_draft("tcin"), by=user("tcin"))
    drain()
    driver = user("driver")
    driver.is_staff = True
    driver.save()
    client.force_login(driver)
    page = client.get("/admin/").content.decode()
    assert (
        'id="panel-notifications"' in page
        and 'data-count="1"' in page.split('id="panel-notifications"')[1][:400]
    )
    listing = client.get("/admin/notifications/notification/").content.decode()
    assert "OA-eu" in listing and 'data-unread="1"' in listing
    mine = Notification.objects.get(user=driver)
    selected = {"action": "mark_read", "_selected_action": [mine.pk]}
    assert client.post("/admin/notifications/notification/", selected).status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'data-unread="0"' in client.get("/admin/notifications/notification/?read=yes").content.decode()
    client.post("/admin/notifications/notification/", {**selected, "action": "mark_unread"})
    assert client.post("/admin/notifications/notification/read-all/").status_code == 302
    assert not Notification.objects.filter(user=driver, read_at__isnull=True).exists()
    other = Notification.objects.exclude(user=driver).first()
    assert client.get(f"/admin/notifications/notification/{other.pk}/change/").status_code == 404


def test_object_checks_on_notifications_and_webhooks_ask_the_registered_scopes(db):
    """`user.has_perm(perm, obj)` on a notification or a webhook agrees with its scope (before,
    the backend took them for reference data: anyone with the model permission passed)."""
    from notifications.models import Notification, Webhook
    from oap import access
    from oap.choices import OrganisationKind, UserRole
    from tests import factories as f

    hub = f.OrganisationFactory(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    es = f.OrganisationFactory(code="ES")
    analyst = f.UserFactory(username="hub-analyst", organisation=hub, role=UserRole.ANALYST)
    spain = f.UserFactory(username="es-coordinator", organisation=es)
    note = Notification.objects.create(user=spain, kind="entry_returned", key="x")
    hook = Webhook.objects.create(organisation=es, url="https://example.org/hook", secret="s" * 32)
    assert access.can(spain, "view", note) and not access.can(analyst, "view", note)
    assert not spain.has_perm("notifications.view_notification", Notification(pk=note.pk + 1))
    assert not access.can(spain, "view", hook) and access.can(analyst, "view", hook) is analyst.has_perm(
        "notifications.view_webhook", hook
    )
