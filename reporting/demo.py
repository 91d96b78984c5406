"""The demo's published factsheets: the EU-wide factsheets of 2022 and 2023, compiled and published.

Run by `manage.py load_demo` after `oap.demo.load_demo`, so that a first `make run` shows them on
every dashboard. The compile runs here, in process, whatever the Celery configuration (the
service `factsheet_compile`, not a queued request), and publishing locks the year through the
reporting service like any publication. Idempotent: a year that has a published EU-wide
factsheet is left alone, so a second run publishes nothing new.
"""

from __future__ import annotations

from django.db import transaction

from oap.demo import PUBLISHED_YEARS

from . import services
from .choices import FactsheetStatus
from .models import Factsheet


class DemoPublishError(RuntimeError):
    """A demo factsheet could not be compiled."""


def publish_demo_factsheets(*, by, years=PUBLISHED_YEARS) -> list[tuple[Factsheet, bool]]:
    """Each year's published EU-wide factsheet, and whether this call published it."""
    done = []
    for year in years:
        published = (
            Factsheet.objects.for_scope(year=year)
            .filter(status=FactsheetStatus.PUBLISHED)
            .order_by("-version")
            .first()
        )
        if published is not None:
            done.append((published, False))
            continue
        with transaction.atomic():  # the year's open version, or n+1 (the services' one rule), no task
            opened = services._open_version(by=by, year=year, priority=None, task_id="")
        factsheet = services.factsheet_compile(factsheet_id=opened.pk)
        if factsheet is None or factsheet.status != FactsheetStatus.COMPILED:
            error = factsheet.error if factsheet is not None else "the version disappeared"
            raise DemoPublishError(f"The {year} factsheet could not be compiled: {error}")
        done.append((services.factsheet_publish(by=by, factsheet=factsheet), True))
    return done
