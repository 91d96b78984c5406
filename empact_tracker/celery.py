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


@app.on_after_configure.connect
def schedule_periodic_tasks(sender, **kwargs):
    """Nightly, recompile the previous year's open factsheet (REPORTING_NIGHTLY_COMPILE_HOUR)."""
    from django.conf import settings

    hour = str(getattr(settings, "REPORTING_NIGHTLY_COMPILE_HOUR", "") or "").strip()
    if not hour:
        return
    sender.add_periodic_task(
        crontab(hour=hour, minute=getattr(settings, "REPORTING_NIGHTLY_COMPILE_MINUTE", 30)),
        sender.signature("reporting.recompile_previous_year"),
        name=NIGHTLY_COMPILE,
    )
