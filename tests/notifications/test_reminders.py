"""Deadline reminders and the weekly digest: to exactly whom they concern, once however often the beat runs.

The world's three actions (2022–2025, one per handling level) have, for 2024:
LD (leader) every figure submitted; EUROPOL every figure validated; DR submitted in two actions
and nothing in OA-participants; CO a draft in OA-eu and nothing elsewhere. So CO owes all three
actions and DR one; LD and EUROPOL owe nothing.
"""

from __future__ import annotations

import datetime

import pytest

from notifications.choices import Kind
from notifications.models import Notification
from notifications.schedule import send_reminders, send_weekly_digests
from oap.choices import EntryStatus, UserRole
from oap.models import OperationalAction, Organisation, ReportingPeriod
from tests import factories as f

from .conftest import addresses, drain

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def year_2024(people):
    _rows, users = people
    users["hubcoord"] = f.UserFactory(
        username="hubcoord",
        organisation=Organisation.objects.get(code="EUROPOL"),
        role=UserRole.COORDINATOR,
        email="hubcoord@example.org",
    )
    arrests = f.ResultTypeFactory(code="arrests")
    figures = {
        "LD": {"OA-participants": "submitted", "OA-eu": "submitted", "OA-partners": "submitted"},
        "EUROPOL": {"OA-participants": "validated", "OA-eu": "validated", "OA-partners": "validated"},
        "DR": {"OA-eu": "submitted", "OA-partners": "validated"},
        "CO": {"OA-eu": "draft"},
    }
    for code, states in figures.items():
        for action, status in states.items():
            f.ResultEntryFactory(
                action=OperationalAction.objects.get(code=action),
                organisation=Organisation.objects.get(code=code),
                result_type=arrests,
                year=2024,
                status=EntryStatus(status),
            )
    period = ReportingPeriod.objects.create(
        year=2024, results_due=D(2025, 1, 31), validation_closes=D(2025, 2, 28)
    )
    return period, users


def test_reminders_go_to_exactly_the_organisations_that_owe_figures_once(year_2024, smtp, eager, settings):

    settings.NOTIFICATIONS_REMINDER_DAYS = 14
    assert send_reminders(today=D(2025, 1, 10)) == 0  # 21 days before: not yet
    made = send_reminders(today=D(2025, 1, 20))
    again = send_reminders(today=D(2025, 1, 21))  # the beat runs again (and again)
    drain()
    assert (made, again) == (2, 0)
    # CO's and DR's coordinators; not LD's (all submitted), not EUROPOL's (all validated), nor
    # the organisations that take no part
    assert smtp.recipients() == addresses("tcin", "driver")
    assert len(smtp.messages) == 2
    co = smtp.to("tcin@example.org")[0]
    assert "are due on 31 January 2025" in co["Subject"]
    for code in ("OA-participants", "OA-eu", "OA-partners"):
        assert code in co.text
    dr = smtp.to("driver@example.org")[0].text
    assert "OA-participants" in dr and "OA-eu —" not in dr and "OA-partners" not in dr
    assert "1 action:" in dr


def test_overdue_reminders_once_while_validation_is_open(year_2024, smtp, eager):
    assert send_reminders(today=D(2025, 2, 3)) == 2
    assert send_reminders(today=D(2025, 2, 3)) == 0
    assert send_reminders(today=D(2025, 2, 27)) == 0
    drain()
    assert smtp.recipients() == addresses("tcin", "driver")
    assert all("were due on" in m["Subject"] for m in smtp.messages)
    overdue = Notification.objects.filter(kind=Kind.OVERDUE, period=year_2024[0])
    assert sorted(overdue.values_list("user__username", flat=True)) == ["driver", "tcin"]
    assert send_reminders(today=D(2025, 3, 1)) == 0  # validation closed: no more reminders


def test_a_figure_submitted_takes_its_organisation_off_the_reminders(year_2024, smtp, eager):
    from oap import services
    from oap.models import ResultEntry

    draft = ResultEntry.objects.get(organisation__code="CO", year=2024)
    services.result_submit(entry=draft, by=year_2024[1]["tc_participant"])
    send_reminders(today=D(2025, 1, 20))
    drain()
    co = smtp.to("tcin@example.org")
    assert len(co) == 1
    assert "OA-eu —" not in co[0].text and "2 actions:" in co[0].text


def test_the_weekly_digest_goes_to_drivers_and_the_hub_once_a_week(year_2024, smtp, eager):
    assert send_weekly_digests(today=D(2025, 1, 20)) > 0
    assert send_weekly_digests(today=D(2025, 1, 22)) == 0  # the same ISO week
    drain()
    # drivers (DR) and the hub's users; nobody else
    assert smtp.recipients() == addresses("driver", "hub", "hubcoord")
    text = smtp.to("driver@example.org")[0].text
    assert "Weekly reporting digest, 2025-W04" in smtp.to("driver@example.org")[0]["Subject"]
    assert "PLAN-participants: 2 of 4 expected reports submitted or validated (50 %)" in text.replace(
        "\u00a0", " "
    )
    assert send_weekly_digests(today=D(2025, 1, 27)) == 3  # next week
