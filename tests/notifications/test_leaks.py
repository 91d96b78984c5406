"""The access matrix, extended to notifications: no e-mail, dashboard notification or webhook carries
a hidden action's code or title to someone who may not see it.

For each handling level, the world's third country (CO) reports a figure that its reviewers return,
CO submits again and the hub validates; the plan's driver then changes the action; the beat makes
its reminders and digests. Every user has an e-mail address and every organisation a webhook.
Who may see each action is read from the access matrix's own table (`tests.access_matrix`), not
from the code under test; who is told what is written out below.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from notifications.choices import DeliveryStatus
from notifications.models import Email, Notification, Webhook
from notifications.schedule import send_reminders, send_weekly_digests
from oap import services
from oap.models import OperationalAction, Organisation, Participation, ReportingPeriod, ResultType
from tests.access_matrix import EXPECTED, LEVELS, ROLES

from .conftest import drain, user

pytestmark = pytest.mark.django_db

USERNAMES = {
    "superuser": "root",
    "hub_analyst": "hub",
    "driver_ms": "driver",
    "uninvolved_ms": "uninvolved",
    "agency": "agency",
    "tc_participant": "tcin",
    "tc_outsider": "tcout",
}
ORGANISATIONS = {
    "hub_analyst": "EUROPOL",
    "driver_ms": "DR",
    "uninvolved_ms": "UN",
    "agency": "FRONTEX",
    "tc_participant": "CO",
    "tc_outsider": "RS",
}
SEES_ACTION = EXPECTED[("action", "action")]["view"]
Y, N = True, False

#: who gets an e-mail about each step, whatever the level (the leader LD's user included)
TOLD_BY_EMAIL = {
    "submitted": {"root", "hub", "driver", "leader"},  # who may validate
    "returned": {"tcin"},  # the reporting organisation
    "validated": {"tcin"},
}
#: which organisations' systems get each event, by level
WEBHOOK_TOLD = {
    "entry.returned": {level: {"CO", "DR", "LD", "EUROPOL"} for level in LEVELS},  # who sees unvalidated
    "entry.validated": {
        "participants": {"CO", "DR", "LD", "EUROPOL"},
        "eu": {"CO", "DR", "LD", "EUROPOL", "UN", "FRONTEX"},
        "partners": {"CO", "DR", "LD", "EUROPOL", "UN", "FRONTEX", "RS"},
    },
}
WEBHOOK_TOLD["action.changed"] = WEBHOOK_TOLD["entry.validated"]


def _hidden_texts(role: str) -> list[str]:
    return [
        text
        for level in LEVELS
        if not SEES_ACTION[role][level]
        for text in (f"OA-{level}", f"Action OA-{level}", f"PLAN-{level}")
    ]


@pytest.fixture
def everything_happened(people, smtp, receiver, eager, settings):
    _rows, users = people
    for member in users.values():
        member.is_staff = True
        member.save(update_fields=["is_staff"])
    for code in ("EUROPOL", "DR", "LD", "UN", "FRONTEX", "CO", "RS"):
        Webhook.objects.create(
            organisation=Organisation.objects.get(code=code), url=receiver.url, secret="x" * 32
        )
    ReportingPeriod.objects.create(
        year=2024, results_due=datetime.date(2025, 1, 31), validation_closes=datetime.date(2025, 2, 28)
    )
    arrests = ResultType.objects.get(code="arrests")
    for level in LEVELS:
        action = OperationalAction.objects.get(code=f"OA-{level}")
        entry = services.result_record(
            by=user("tcin"),
            action=action,
            organisation=user("tcin").organisation,
            result_type=arrests,
            year=2024,
            value=Decimal(9),
        )
        services.result_submit(entry=entry, by=user("tcin"))
        services.result_return(entry=entry, by=user("driver"), reason=f"Check the {level} figure.")
        services.result_submit(entry=entry, by=user("tcin"))
        services.result_validate(entry=entry, by=user("hub"))
        services.action_update(action=action, by=user("driver"), status="completed")
    send_reminders(today=datetime.date(2025, 1, 20))
    send_weekly_digests(today=datetime.date(2025, 1, 20))
    drain()
    return users


def _channels(client, username: str, smtp) -> dict[str, str]:
    client.force_login(user(username))
    return {
        "e-mails": "\n".join(
            m.message.as_string() + m.text + m.html for m in smtp.to(f"{username}@example.org")
        ),
        "dashboard": client.get("/admin/").content.decode(),
        "notifications": client.get("/admin/notifications/notification/").content.decode(),
    }


def test_no_channel_names_a_hidden_action_to_a_user_or_an_organisation(
    everything_happened, smtp, receiver, client
):
    """One run of everything, asked of every role (the access matrix's rows) on every channel."""
    for role in ROLES:
        username = USERNAMES[role]
        for channel, text in _channels(client, username, smtp).items():
            for secret in _hidden_texts(role):
                assert secret not in text, f"{username}'s {channel} name {secret!r}"
        code = ORGANISATIONS.get(role)
        bodies = [r.body.decode() for r in receiver.requests if code and r.json["organisation"] == code]
        for secret in _hidden_texts(role):
            assert all(secret not in body for body in bodies), f"{code}'s webhook got {secret!r}"
    assert len(smtp.messages) >= 5 and len(receiver.requests) >= 30  # the channels did carry things


def test_who_is_told_what_by_email_and_webhook(everything_happened, smtp, receiver):
    for kind, usernames in TOLD_BY_EMAIL.items():
        told = set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))
        assert told == usernames, kind
    # every user told anything got e-mails, nobody else did
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told >= {"root", "hub", "driver", "leader", "tcin"}
    assert {address.split("@")[0] for address in smtp.recipients()} == told
    for event, by_level in WEBHOOK_TOLD.items():
        for level, codes in by_level.items():
            got = {
                r.json["organisation"]
                for r in receiver.requests
                if r.json["event"] == event and f"OA-{level}" in r.body.decode()
            }
            assert got == codes, (event, level)


def test_what_a_user_no_longer_sees_at_delivery_time_is_never_named(people, smtp, eager, client, settings):
    """CO's coordinator is told its figure was validated; CO leaves the (EU-level) action before
    the e-mail goes: the e-mail is withheld and the dashboard says nothing of the action."""
    settings.NOTIFICATIONS_BATCH_SECONDS = 60
    tcin = user("tcin")
    entry = services.result_record(
        by=tcin,
        action=OperationalAction.objects.get(code="OA-eu"),
        organisation=tcin.organisation,
        result_type=ResultType.objects.get(code="arrests"),
        year=2024,
        value=Decimal(4),
    )
    services.result_submit(entry=entry, by=tcin)
    services.result_validate(entry=entry, by=user("hub"))
    drain()
    email = Email.objects.get(user=tcin)
    Participation.objects.filter(action__code="OA-eu", organisation__code="CO").delete()
    from notifications.delivery import deliver_due

    deliver_due(now=email.due_at)
    email.refresh_from_db()
    assert email.status == DeliveryStatus.WITHHELD and not smtp.to("tcin@example.org")
    tcin.is_staff = True
    tcin.save()
    client.force_login(tcin)
    page = client.get("/admin/notifications/notification/").content.decode()
    assert "A notification about something you may no longer see." in page
    assert "OA-eu" not in page and "Action OA-eu" not in page
