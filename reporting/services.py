"""Factsheet writes: request a compile, compile (the task's work), publish. Keyword-only.

Who may do what is decided in `oap.access` (the report rules); refusals follow the
oap services: `PermissionDenied` (403), `ValidationError` naming the field (400). `by=None`
is the system (beat, management commands).

Compiling is idempotent and all-or-nothing:

1. the figures and the checksum of their inputs are computed in SQL, in one snapshot
   (`reporting.compile`); figures whose headline differs from the sum of a breakdown are a
   failed compile (`FiguresMismatch`), never stored; when the version is already compiled from
   the same inputs, nothing more happens;
2. the files are rendered in memory;
3. ONE transaction, holding the factsheet row (`select_for_update`), writes the files, the
   figures, the checksum and the status. A worker killed before the commit leaves the row as
   it was (status `compiling`, previous figures and files); the redelivered task does it all
   again. Two deliveries of the same task serialise on the row lock, and the second finds
   the work done.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from oap import events
from oap.models import PriorityCrimeArea, User
from oap.services import Conflict, clean_year, year_lock

from . import access as reports
from .choices import FILE_NAMES, OPEN_STATUSES, FactsheetStatus, FileKind
from .compile import compile_figures, sum_mismatches
from .models import Factsheet, FactsheetFile, factsheet_file_path
from .render import meta_of, render_files

logger = logging.getLogger(__name__)

#: progress (%) reached at each step of a compile
PROGRESS_STARTED, PROGRESS_FIGURES, PROGRESS_RENDERED, PROGRESS_DONE = 10, 40, 80, 100


def _history_user(instance, by: User | None) -> None:
    if by is not None and by.is_authenticated:
        instance._history_user = by


def _priority(priority) -> PriorityCrimeArea | None:
    if priority is None or isinstance(priority, PriorityCrimeArea):
        return priority
    try:
        return PriorityCrimeArea.objects.get(pk=int(priority))
    except (TypeError, ValueError, PriorityCrimeArea.DoesNotExist) as error:
        raise ValidationError({"priority": f"No priority crime area with id {priority!r}."}) from error


def factsheets_visible_to(user):
    """The factsheets `user` may read: published ones for everybody signed in, all for analysts and the hub."""
    return Factsheet.objects.visible_to(user)


def factsheet_for(*, user, year: int, priority=None, version: int | None = None) -> Factsheet | None:
    """The version of a year's factsheet to show `user`: the one asked for, else the newest readable with figures."""
    factsheets = (
        factsheets_visible_to(user)
        .for_scope(year=year, priority=priority)
        .exclude(checksum="")
        .select_related("priority")
        .order_by("-version")
    )
    if version is not None:
        factsheets = factsheets.filter(version=version)
    return factsheets.first()


def _enqueue(factsheet_id: int, task_id: str) -> None:
    """Record the compile in the outbox, in the caller's transaction: sent when it commits."""
    import outbox

    from .tasks import compile_factsheet_task

    outbox.enqueue(compile_factsheet_task.name, factsheet_id, task_id=task_id, key=_outbox_key(factsheet_id))


def _outbox_key(factsheet_id: int) -> str:
    return f"reporting.factsheet:{factsheet_id}"


def factsheet_request_compile(*, by: User | None, year: int, priority=None) -> Factsheet:
    """Compile the year's factsheet (EU-wide or one priority) in a worker; return its open version.

    Reuses the open version of the year and scope, or opens version n+1 when every earlier
    version is published. The version is marked `compiling` with progress 0 and a fresh task
    id; the task is written to the outbox in the same transaction and sent to the broker when
    it commits (eagerly, in process, without a broker). A broker that does not answer delays
    the compile, never loses it: the beat sends it once the broker is back.
    """
    if by is not None and not reports.can_compile(by):
        raise PermissionDenied("Only analysts and the EMPACT support team (hub) compile factsheets.")
    year = clean_year(year)
    priority = _priority(priority)
    task_id = str(uuid.uuid4())
    for attempt in range(2):
        try:
            with transaction.atomic():
                factsheet = _open_version(by=by, year=year, priority=priority, task_id=task_id)
                _enqueue(factsheet.pk, task_id)
            return factsheet
        except IntegrityError:
            # another request opened the same version at the same moment: take theirs
            if attempt:
                raise
    raise AssertionError("unreachable")


def _open_version(*, by, year, priority, task_id) -> Factsheet:
    scope = Factsheet.objects.for_scope(year=year, priority=priority)
    factsheet = scope.select_for_update(of=("self",)).open().order_by("-version").first()
    if factsheet is None:
        latest = scope.aggregate(latest=Max("version"))["latest"] or 0
        factsheet = Factsheet(year=year, priority=priority, version=latest + 1)
    factsheet.status = FactsheetStatus.COMPILING
    factsheet.progress = 0
    factsheet.error = ""
    factsheet.task_id = task_id
    factsheet.requested_by = by if by is not None and by.is_authenticated else None
    factsheet.requested_at = timezone.now()
    _history_user(factsheet, by)
    with transaction.atomic():
        factsheet.save()
    return factsheet


def _set_progress(factsheet_id: int, progress: int) -> None:
    """Committed at once (outside the final transaction), so pollers see it move."""
    Factsheet.objects.filter(pk=factsheet_id, status__in=OPEN_STATUSES).update(
        status=FactsheetStatus.COMPILING, progress=progress, updated_at=timezone.now()
    )


def factsheet_mark_failed(*, factsheet_id: int, error: str) -> None:
    Factsheet.objects.filter(pk=factsheet_id, status__in=OPEN_STATUSES).update(
        status=FactsheetStatus.FAILED, progress=0, error=error[:2000], updated_at=timezone.now()
    )


def _files_current(factsheet: Factsheet, checksum: str) -> bool:
    files = {f.kind: f for f in factsheet.files.all()}
    return set(files) == set(FileKind.values) and all(
        f.checksum == checksum and default_storage.exists(f.file.name) for f in files.values()
    )


def factsheet_compile(*, factsheet_id: int) -> Factsheet | None:
    """The task's work: compile one factsheet version (idempotent, all-or-nothing)."""
    factsheet = Factsheet.objects.select_related("priority").filter(pk=factsheet_id).first()
    if factsheet is None:
        logger.warning("factsheet %s no longer exists; nothing to compile", factsheet_id)
        return None
    if factsheet.status == FactsheetStatus.PUBLISHED:
        return factsheet  # frozen: a late or redelivered task changes nothing
    try:
        return _compile(factsheet)
    except Exception as error:
        from .tasks import TRANSIENT_ERRORS

        if not isinstance(error, TRANSIENT_ERRORS):
            factsheet_mark_failed(factsheet_id=factsheet_id, error=f"{type(error).__name__}: {error}")
        raise


class FiguresMismatch(ValueError):
    """Figures whose headline differs from the sum of a breakdown: never stored."""


def _compile(factsheet: Factsheet) -> Factsheet:
    compiled = compile_figures(year=factsheet.year, priority=factsheet.priority)
    mismatches = sum_mismatches(compiled.figures)
    if mismatches:
        raise FiguresMismatch(
            "The headline differs from the sum of its breakdowns, so these figures were not stored: "
            + "; ".join(mismatches)
        )
    if (
        factsheet.status == FactsheetStatus.COMPILED
        and factsheet.checksum == compiled.checksum
        and _files_current(factsheet, compiled.checksum)
    ):
        return factsheet  # already compiled from these inputs (a second delivery)
    _set_progress(factsheet.pk, PROGRESS_FIGURES)

    files = None
    if not (factsheet.checksum == compiled.checksum and _files_current(factsheet, compiled.checksum)):
        factsheet.checksum = compiled.checksum  # the file paths are named after it
        factsheet.compiled_at = timezone.now()
        files = render_files(compiled.figures, meta_of(factsheet))
    _set_progress(factsheet.pk, PROGRESS_RENDERED)

    with transaction.atomic():
        locked = (
            Factsheet.objects.select_for_update(of=("self",)).select_related("priority").get(pk=factsheet.pk)
        )
        if locked.status == FactsheetStatus.PUBLISHED:
            return locked
        if (
            locked.status == FactsheetStatus.COMPILED
            and locked.checksum == compiled.checksum
            and _files_current(locked, compiled.checksum)
        ):
            return locked  # a concurrent delivery finished first
        stale = _store(locked, compiled, files, compiled_at=factsheet.compiled_at)
        transaction.on_commit(lambda: _delete_blobs(stale), robust=True)
    return locked


def _store(locked: Factsheet, compiled, files: dict[str, bytes] | None, *, compiled_at) -> list[str]:
    """Write the figures, the checksum, the status and (when rendered) the files of the locked
    version, inside the caller's transaction; return the blobs to drop after the commit."""
    stale = []
    if files is not None:
        locked.checksum = compiled.checksum
        stale = _write_files(locked, files)
        locked.compiled_at = compiled_at
    locked.figures = compiled.figures
    locked.checksum = compiled.checksum
    locked.status = FactsheetStatus.COMPILED
    locked.progress = PROGRESS_DONE
    locked.error = ""
    locked.save()
    return stale


def _write_files(factsheet: Factsheet, files: dict[str, bytes], *, folder: str = "") -> list[str]:
    """Store the files and their rows (inside the caller's transaction); return the blobs to drop after commit."""
    import hashlib

    old = list(factsheet.files.all())
    new_names = set()
    FactsheetFile.objects.filter(factsheet=factsheet).delete()
    for kind, content in files.items():
        row = FactsheetFile(
            factsheet=factsheet,
            kind=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            checksum=factsheet.checksum,
        )
        name = factsheet_file_path(row, folder + FILE_NAMES[kind])
        if default_storage.exists(name):  # left by an attempt killed before its commit
            default_storage.delete(name)
        row.file.name = default_storage.save(name, ContentFile(content))
        new_names.add(row.file.name)
        row.save()
    return [f.file.name for f in old if f.file.name not in new_names]


def _delete_blobs(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def factsheet_publish(*, by: User | None, factsheet: Factsheet) -> Factsheet:
    """Freeze a compiled version and lock its year's entries (`oap.services.year_lock`).

    Refused when the validated data changed since the version was compiled: publish what the
    figures say, or compile again first. Later corrections need the year unlocked and a new
    version (`factsheet_request_compile` opens version n+1). The version's files are rendered
    again as published ones (no watermark, the publication date), in the same transaction.
    """
    if by is not None and not reports.can_publish(by):
        raise PermissionDenied("Only the EMPACT support team (hub) publishes factsheets: it locks the year.")
    with transaction.atomic():
        locked = (
            Factsheet.objects.select_for_update(of=("self",)).select_related("priority").get(pk=factsheet.pk)
        )
        if locked.status != FactsheetStatus.COMPILED:
            raise Conflict(
                {
                    "status": f"Only a compiled factsheet can be published; this one is {locked.get_status_display().lower()}."
                }
            )
        year_lock(
            year=locked.year, by=by, reason=f"Factsheet {locked.year} version {locked.version} published"
        )
        current = compile_figures(year=locked.year, priority=locked.priority)
        if current.checksum != locked.checksum:
            raise Conflict(
                {
                    "checksum": "The validated results changed since this version was compiled; compile it again before publishing."
                }
            )
        locked.status = FactsheetStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = by if by is not None and by.is_authenticated else None
        _history_user(locked, by)
        locked.save()
        # the published files: no "Not published" watermark, the publication date (new paths, so
        # a rollback leaves the compiled version's files as they were)
        stale = _write_files(locked, render_files(locked.figures, meta_of(locked)), folder="published/")
        transaction.on_commit(lambda: _delete_blobs(stale), robust=True)
        events.emit(events.FACTSHEET_PUBLISHED, by=by, factsheet=locked.pk)  # partners' webhooks
    return locked


def factsheet_recompile_open(*, year: int) -> list[Factsheet]:
    """Beat's nightly job: recompile the year's open versions (and start the EU-wide one if none exists).

    A year whose factsheets are all published is left alone: a new version is opened only on
    request, never by the schedule.
    """
    requested = []
    scopes = set(Factsheet.objects.filter(year=year).open().values_list("priority_id", flat=True))
    if not Factsheet.objects.for_scope(year=year).exists():
        scopes.add(None)
    for priority_id in sorted(scopes, key=lambda pk: (pk is not None, pk or 0)):
        requested.append(factsheet_request_compile(by=None, year=year, priority=priority_id))
    return requested


def factsheet_requeue_stuck(*, now=None) -> list[int]:
    """Beat: send again the compiles that no live task is working on; return their ids.

    A version is stuck when it is `compiling` and either nothing touched it for
    `REPORTING_STUCK_AFTER_SECONDS` (longer than the hard time limit and the broker's visibility
    timeout: no worker can still hold its task), or its outbox message was given up. A version
    whose message still waits in the outbox is waiting for the broker, not stuck. After
    `REPORTING_COMPILE_MAX_REQUEUES` sends the version is marked failed, for a person to look at.
    """
    from datetime import timedelta

    from django.db.models import Q

    from outbox.models import Message

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REPORTING_STUCK_AFTER_SECONDS)
    waiting = Message.objects.pending().values("task_id")
    given_up = Message.objects.filter(failed_at__isnull=False).values("task_id")
    stuck = (
        Factsheet.objects.filter(status=FactsheetStatus.COMPILING)
        .exclude(task_id__in=waiting)
        .filter(Q(updated_at__lt=cutoff) | Q(task_id__in=given_up))
        .values_list("pk", "task_id")
    )
    return [pk for pk, task_id in stuck if _requeue(pk, task_id, now=now)]


def _requeue(factsheet_id: int, task_id: str, *, now) -> bool:
    from outbox.models import Message

    with transaction.atomic():
        factsheet = (
            Factsheet.objects.select_for_update(of=("self",))
            .filter(pk=factsheet_id, status=FactsheetStatus.COMPILING, task_id=task_id)
            .first()
        )
        if factsheet is None:
            return False  # it moved on meanwhile
        sends = Message.objects.filter(
            key=_outbox_key(factsheet_id), created_at__gte=factsheet.requested_at or factsheet.created_at
        ).count()
        if sends > settings.REPORTING_COMPILE_MAX_REQUEUES:
            logger.error(
                "factsheet %s: compile sent %s times without finishing; marked failed", factsheet_id, sends
            )
            factsheet_mark_failed(
                factsheet_id=factsheet_id,
                error=f"The compile was sent {sends} times and never finished; see the worker logs.",
            )
            return False
        new_task_id = str(uuid.uuid4())
        logger.warning(
            "factsheet %s: compile %s has no live task; sending it again as %s",
            factsheet_id,
            task_id,
            new_task_id,
        )
        Factsheet.objects.filter(pk=factsheet_id).update(task_id=new_task_id, updated_at=now)
        _enqueue(factsheet_id, new_task_id)
    return True
