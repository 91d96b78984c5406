"""Importing result spreadsheets: validate, confirm, import all or nothing (in a task when large).

The rules are those of `services.results_record_bulk` — the path the API's bulk requests use —
applied row by row: a coordinator imports only for their own organisation, in actions it takes
part in. Every bad row is reported with its spreadsheet row number, column and rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from . import access, services
from .models import ImportJob, User
from .spreadsheets import SpreadsheetError, read_results


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def _row_errors(error: services.RowErrors, row_numbers: list[int]) -> list[RowError]:
    found = []
    for index, fields in error.rows.items():
        for column, messages in fields.items():
            for message in messages:
                found.append(RowError(row=row_numbers[index], column=column, message=str(message)))
    return found


def _row_namer(sheet):
    return lambda index: f"row {sheet.row_numbers[index]}"


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 50_000)


def check_rows(*, by: User, data: bytes, filename: str) -> tuple[int, list[RowError]]:
    """Parse and check a file without saving anything: (number of rows, errors).

    Reading stops at the row limit (and at the size and cell limits of `read_results`), so a
    huge or decompression-bomb file is refused at once, with a message saying which limit.
    """
    try:
        sheet = read_results(data, filename, max_rows=max_rows())
    except SpreadsheetError as error:
        return 0, [RowError(row=1, column="file", message=str(error))]
    if not sheet.rows:
        return 0, [RowError(row=2, column="file", message="The file has a header but no rows.")]
    try:
        services.results_record_bulk(
            by=by, rows=sheet.rows, max_rows=max_rows(), dry_run=True, name_row=_row_namer(sheet)
        )
    except services.RowErrors as error:
        return len(sheet.rows), _row_errors(error, sheet.row_numbers)
    except (ValidationError, PermissionDenied) as error:
        return len(sheet.rows), [
            RowError(row=1, column="file", message=" ".join(getattr(error, "messages", [str(error)])))
        ]
    return len(sheet.rows), []


@transaction.atomic
def import_job_create(*, by: User, data: bytes, filename: str) -> ImportJob:
    """Record the upload and its check: `validated` (the file kept, ready to confirm) or `invalid`.

    An invalid upload keeps its list of errors, never its file: nothing of a refused file stays
    in the media storage.
    """
    total, errors = check_rows(by=by, data=data, filename=filename)
    job = ImportJob(
        created_by=by,
        filename=filename[:255],
        total_rows=total,
        status=ImportJob.Status.INVALID if errors else ImportJob.Status.VALIDATED,
        errors=[e.as_dict() for e in errors[:1000]],
    )
    if not errors:
        job.file.save(filename, ContentFile(data), save=False)
    job.save()
    return job


def _delete_file(job: ImportJob) -> None:
    """Remove a refused job's file from the storage once the refusal is committed."""
    name, storage = job.file.name, job.file.storage
    if name:
        job.file = ""
        transaction.on_commit(lambda: storage.delete(name))


def progress_key(job_id: int) -> str:
    return f"oap:import:{job_id}:progress"


def job_progress(job: ImportJob) -> int:
    """0–100: from the cache while a task imports, from the job's state otherwise."""
    if job.status == ImportJob.Status.DONE:
        return 100
    if job.status == ImportJob.Status.RUNNING:
        return int(cache.get(progress_key(job.pk), 0))
    return 0


def import_job_run(job_id: int) -> ImportJob:
    """Import a validated job's rows, all or nothing; idempotent (a done job is left as it is)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.VALIDATED, ImportJob.Status.RUNNING):
            return job
        job.status = ImportJob.Status.RUNNING
        job.save(update_fields=["status"])
    cache.set(progress_key(job.pk), 1, timeout=3600)

    def progress(done: int, total: int) -> None:
        cache.set(progress_key(job.pk), max(1, min(99, int(done * 100 / max(total, 1)))), timeout=3600)

    with job.file.open("rb") as handle:
        data = handle.read()
    errors: list[RowError] = []
    imported = 0
    try:
        sheet = read_results(data, job.filename, max_rows=max_rows())
        with transaction.atomic():
            created = services.results_record_bulk(
                by=job.created_by,
                rows=sheet.rows,
                max_rows=max_rows(),
                on_progress=progress,
                name_row=_row_namer(sheet),
            )
            imported = len(created)
    except services.RowErrors as error:  # the data changed since the check: still all or nothing
        errors = _row_errors(error, sheet.row_numbers)
    except (SpreadsheetError, ValidationError, PermissionDenied) as error:
        errors = [RowError(row=1, column="file", message=" ".join(getattr(error, "messages", [str(error)])))]
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        job.imported_rows = imported
        job.errors = [e.as_dict() for e in errors[:1000]]
        job.status = ImportJob.Status.INVALID if errors else ImportJob.Status.DONE
        job.finished_at = timezone.now()
        if errors:
            _delete_file(job)
        job.save()
    cache.delete(progress_key(job.pk))
    return job


def import_job_confirm(*, by: User, job: ImportJob) -> ImportJob:
    """Import now, or — beyond IMPORT_ASYNC_ROWS rows — in a Celery task with visible progress."""
    if not access.can_confirm_import(by, job):
        raise PermissionDenied("Only the person who uploaded a file confirms its import.")
    if job.status != ImportJob.Status.VALIDATED:
        raise services.Conflict(
            {"status": f"This import is {job.get_status_display().lower()}; it cannot start again."}
        )
    if job.total_rows <= getattr(settings, "IMPORT_ASYNC_ROWS", 2000):
        return import_job_run(job.pk)
    with transaction.atomic():
        job.status = ImportJob.Status.QUEUED
        job.task_id = _enqueue(job.pk)
        job.save(update_fields=["status", "task_id"])
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> str:
    """Record the import in the outbox, in the caller's transaction (sent when it commits); its task id."""
    import outbox

    from .tasks import import_results_task

    return outbox.enqueue(import_results_task.name, job_id, key=f"oap.importjob:{job_id}").task_id
