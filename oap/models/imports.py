"""Spreadsheet import jobs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One spreadsheet of results uploaded for import: validated, then imported all or nothing."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Validated, waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        INVALID = "invalid", _("Refused: invalid rows")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        "User", on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.VALIDATED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    imported_rows = models.PositiveIntegerField(_("imported rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("results import")
        verbose_name_plural = _("results imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
