"""The beat's notification jobs are scheduled, and the dashboard shows the deadlines under way."""

from __future__ import annotations

import datetime

import pytest
from celery.schedules import crontab
from django.utils import timezone

from empact_tracker.celery import NOTIFICATIONS_SWEEP, REMINDERS, WEEKLY_DIGEST
from empact_tracker.celery import app as celery_app
from oap.models import ReportingPeriod

pytestmark = pytest.mark.django_db


def test_the_beat_sweeps_deliveries_often_and_makes_reminders_and_digests_hourly():
    schedule = celery_app.conf.beat_schedule
    assert schedule[NOTIFICATIONS_SWEEP]["task"] == "notifications.deliver_due"
    assert schedule[NOTIFICATIONS_SWEEP]["schedule"] == 15.0
    assert schedule[NOTIFICATIONS_SWEEP]["options"]["expires"] == 15.0
    assert schedule[REMINDERS]["task"] == "notifications.send_reminders"
    assert schedule[REMINDERS]["schedule"] == crontab(minute=5)
    assert schedule[WEEKLY_DIGEST]["task"] == "notifications.send_weekly_digests"
    assert schedule[WEEKLY_DIGEST]["schedule"] == crontab(minute=15, hour="7-23", day_of_week="mon")


def test_the_dashboard_shows_the_deadlines_and_what_the_organisation_owes(world, client):
    _, users = world
    today = timezone.localdate()
    ReportingPeriod.objects.create(  # the world's actions run 2022–2025; CO reported nothing for 2024
        year=2024,
        results_due=today + datetime.timedelta(days=10),
        validation_closes=today + datetime.timedelta(days=40),
    )
    coordinator = users["tc_participant"]
    coordinator.is_staff = True
    coordinator.save()
    client.force_login(coordinator)
    page = client.get("/admin/").content.decode()
    panel = page.split('id="panel-deadlines"')[1].split('class="module dashboard-panel"')[0]
    assert "2024: results due" in panel and "in 10 days" in panel
    assert "CO still owes figures in 3 actions" in panel
    assert "/reports/completeness/?year=" in panel


def test_the_command_does_what_the_beat_does_once(world):
    from io import StringIO

    from django.core.management import call_command

    today = timezone.localdate()
    ReportingPeriod.objects.create(  # CO and DR owe 2024 figures; their coordinators are reminded
        year=2024,
        results_due=today + datetime.timedelta(days=5),
        validation_closes=today + datetime.timedelta(days=35),
    )
    first, second = StringIO(), StringIO()
    call_command("notifications_run", "--weekly", stdout=first)
    call_command("notifications_run", "--weekly", stdout=second)
    assert first.getvalue().startswith("reminders 2, weekly digests 2;")  # tcin, driver; driver, hub
    assert second.getvalue().startswith("reminders 0, weekly digests 0;")
