"""The Celery app: configured from Django settings (CELERY_* names).

Tasks live in the apps (`shared_task`), found by `autodiscover_tasks()`. The beat schedule is
added here once the configuration is read, from settings that every deployment can change
through the environment (see the Celery section of settings.py).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empact_tracker.settings")

app = Celery("empact_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

NIGHTLY_COMPILE = "reporting: recompile the previous year's open factsheet"
OUTBOX_DISPATCH = "outbox: send the messages the broker has not taken yet"
STUCK_COMPILES = "reporting: send again the compiles no live task works on"
NOTIFICATIONS_SWEEP = "notifications: send the due e-mails and webhooks, retry the failed ones"
REMINDERS = "notifications: deadline reminders to the organisations that owe figures"
WEEKLY_DIGEST = "notifications: the weekly digest for drivers and the hub"


@app.on_after_configure.connect
def schedule_periodic_tasks(sender, **kwargs):
    """The beat's schedule: the outbox, stuck compiles, notifications, and the nightly compile.

    The frequent ones expire after one interval: ticks that queued up while no worker ran are
    dropped, not run in a burst.
    """
    from django.conf import settings

    every = float(getattr(settings, "OUTBOX_DISPATCH_SECONDS", 5))
    sender.add_periodic_task(every, sender.signature("outbox.dispatch"), name=OUTBOX_DISPATCH, expires=every)
    every = float(getattr(settings, "REPORTING_STUCK_SWEEP_SECONDS", 60))
    sender.add_periodic_task(
        every, sender.signature("reporting.requeue_stuck_compiles"), name=STUCK_COMPILES, expires=every
    )
    every = float(getattr(settings, "NOTIFICATIONS_SWEEP_SECONDS", 15))
    sender.add_periodic_task(
        every, sender.signature("notifications.deliver_due"), name=NOTIFICATIONS_SWEEP, expires=every
    )
    # hourly: a beat that was down catches up within the hour; each reminder and digest is made once
    sender.add_periodic_task(
        crontab(minute=5), sender.signature("notifications.send_reminders"), name=REMINDERS, expires=3600
    )
    digest_hour = int(getattr(settings, "NOTIFICATIONS_DIGEST_HOUR", 7))
    sender.add_periodic_task(
        crontab(
            minute=15,
            hour=f"{digest_hour}-23",
            day_of_week=getattr(settings, "NOTIFICATIONS_DIGEST_WEEKDAY", "mon"),
        ),
        sender.signature("notifications.send_weekly_digests"),
        name=WEEKLY_DIGEST,
        expires=3600,
    )
    hour = str(getattr(settings, "REPORTING_NIGHTLY_COMPILE_HOUR", "") or "").strip()
    if not hour:
        return
    sender.add_periodic_task(
        crontab(hour=hour, minute=getattr(settings, "REPORTING_NIGHTLY_COMPILE_MINUTE", 30)),
        sender.signature("reporting.recompile_previous_year"),
        name=NIGHTLY_COMPILE,
    )
