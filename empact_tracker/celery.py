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


@app.on_after_configure.connect
def schedule_periodic_tasks(sender, **kwargs):
    """The beat's schedule: the outbox, stuck compiles, and the nightly compile.

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
    hour = str(getattr(settings, "REPORTING_NIGHTLY_COMPILE_HOUR", "") or "").strip()
    if not hour:
        return
    sender.add_periodic_task(
        crontab(hour=hour, minute=getattr(settings, "REPORTING_NIGHTLY_COMPILE_MINUTE", 30)),
        sender.signature("reporting.recompile_previous_year"),
        name=NIGHTLY_COMPILE,
    )
