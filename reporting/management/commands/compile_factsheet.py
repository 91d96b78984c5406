"""`manage.py compile_factsheet YEAR [--priority CODE] [--publish] [--wait]`."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oap.models import PriorityCrimeArea
from reporting.choices import FactsheetStatus
from reporting.compile import HEADLINE_KEYS, HEADLINE_LABELS
from reporting.models import Factsheet
from reporting.services import factsheet_publish, factsheet_request_compile

DONE = (FactsheetStatus.COMPILED, FactsheetStatus.FAILED, FactsheetStatus.PUBLISHED)


class Command(BaseCommand):
    help = (
        "Compile the yearly factsheet (EU-wide, or one priority) in a Celery worker — in process "
        "without REDIS_URL. --wait follows it to the end; --publish also publishes it (and locks the year)."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--priority", help="a priority code (e.g. DRUGS) for that priority's factsheet")
        parser.add_argument("--wait", action="store_true", help="wait until the compile is done")
        parser.add_argument("--publish", action="store_true", help="publish once compiled (implies --wait)")
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait at most (default 600)"
        )

    def handle(self, *args, year, priority, wait, publish, timeout, **options):
        scope = None
        if priority:
            scope = PriorityCrimeArea.objects.filter(
                code__iexact=priority, cycle__start_year__lte=year, cycle__end_year__gte=year
            ).first()
            if scope is None:
                raise CommandError(f"No priority {priority!r} in the cycle of {year}.")
        try:
            factsheet = factsheet_request_compile(by=None, year=year, priority=scope)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Compile of {factsheet} requested (task {factsheet.task_id}).")
        if not (wait or publish):
            return
        deadline = time.monotonic() + timeout
        factsheet = Factsheet.objects.get(pk=factsheet.pk)
        while factsheet.status not in DONE:
            if time.monotonic() > deadline:
                raise CommandError(f"Still {factsheet.status} ({factsheet.progress} %) after {timeout:g} s.")
            time.sleep(0.5)
            factsheet = Factsheet.objects.get(pk=factsheet.pk)
        if factsheet.status == FactsheetStatus.FAILED:
            raise CommandError(f"The compile failed: {factsheet.error}")
        headline = factsheet.figures.get("headline", {})
        for key in HEADLINE_KEYS:
            self.stdout.write(f"  {HEADLINE_LABELS[key]}: {headline.get(key)}")
        self.stdout.write(f"  checksum {factsheet.checksum}")
        if publish:
            try:
                factsheet = factsheet_publish(by=None, factsheet=factsheet)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            self.stdout.write(self.style.SUCCESS(f"Published {factsheet}; {year} is locked."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Compiled {factsheet}."))
