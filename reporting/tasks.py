"""Celery tasks of the reporting app: thin, idempotent, taking ids (see `reporting.services`).

`compile_factsheet_task` acknowledges its message only once it is done (`acks_late`) and is
given back to the broker if the worker process dies (`reject_on_worker_lost`): the compile is
idempotent and writes in one transaction, so running it again is always safe. Lost database
or broker connections are retried with exponential backoff.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerOperationalError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    name="reporting.compile_factsheet",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=getattr(settings, "CELERY_TASK_RETRY_BACKOFF_MAX", 600),
    retry_jitter=True,
    max_retries=getattr(settings, "CELERY_TASK_MAX_RETRIES", 5),
)
def compile_factsheet_task(self, factsheet_id: int) -> dict | None:
    from .services import factsheet_compile, factsheet_mark_failed

    try:
        factsheet = factsheet_compile(factsheet_id=factsheet_id)
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= self.max_retries:
            factsheet_mark_failed(factsheet_id=factsheet_id, error=f"{type(error).__name__}: {error}")
        raise
    if factsheet is None:
        return None
    return {
        "id": factsheet.pk,
        "status": factsheet.status,
        "version": factsheet.version,
        "checksum": factsheet.checksum,
    }


@shared_task(name="reporting.recompile_previous_year", acks_late=True, reject_on_worker_lost=True)
def recompile_previous_year_task() -> list[int]:
    """Beat, nightly: recompile last year's open factsheet versions."""
    from django.utils import timezone

    from .services import factsheet_recompile_open

    year = timezone.localdate().year - 1 if settings.USE_TZ else datetime.date.today().year - 1
    return [factsheet.pk for factsheet in factsheet_recompile_open(year=year)]


@shared_task(name="reporting.requeue_stuck_compiles", ignore_result=True)
def requeue_stuck_compiles_task() -> list[int]:
    """Beat, every REPORTING_STUCK_SWEEP_SECONDS: send again the compiles no live task works on."""
    from .services import factsheet_requeue_stuck

    return factsheet_requeue_stuck()
