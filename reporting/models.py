"""Yearly factsheets of EMPACT results: versions, their figures and generated files."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from oap import access
from oap.models import PriorityCrimeArea
from oap.models.reference import year_field, year_in_range

from .choices import OPEN_STATUSES, FactsheetStatus, FileKind


class FactsheetQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.restrict(self, user, "view")

    def for_scope(self, *, year: int, priority: PriorityCrimeArea | int | None = None):
        priority_id = getattr(priority, "pk", priority)
        if priority_id is None:
            return self.filter(year=year, priority__isnull=True)
        return self.filter(year=year, priority_id=priority_id)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Factsheet(models.Model):
    """One version of the factsheet of a year, EU-wide or for one priority.

    Versions are numbered per year and scope. Any number of published (frozen) versions may
    exist, but at most one open version (draft, compiling, compiled or failed): recompiling
    reuses it, and recompiling after publication opens version n+1.
    """

    year = year_field()
    priority = models.ForeignKey(
        PriorityCrimeArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="factsheets",
        verbose_name=_("priority"),
        help_text=_("Leave empty for the EU-wide factsheet of all priorities."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=FactsheetStatus.choices, default=FactsheetStatus.DRAFT
    )
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    checksum = models.CharField(
        _("checksum of the inputs"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the validated data the figures were compiled from."),
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True, db_index=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    compiled_at = models.DateTimeField(_("compiled"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FactsheetQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["figures", "progress"])

    class Meta:
        ordering = ["-year", "priority__number", "-version"]
        verbose_name = _("factsheet")
        verbose_name_plural = _("factsheets")
        permissions = [
            ("compile_factsheet", _("Can request a factsheet compile")),
            ("publish_factsheet", _("Can publish a factsheet")),
        ]
        constraints = [
            # NULL priorities (EU-wide) are distinct in a plain unique constraint: one partial
            # constraint per kind of scope.
            models.UniqueConstraint(
                fields=["year", "version"],
                condition=Q(priority__isnull=True),
                name="%(app_label)s_%(class)s_unique_eu_version",
                violation_error_message=_("This version of the year's factsheet already exists."),
            ),
            models.UniqueConstraint(
                fields=["year", "priority", "version"],
                condition=Q(priority__isnull=False),
                name="%(app_label)s_%(class)s_unique_priority_version",
                violation_error_message=_("This version of the year's factsheet already exists."),
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(priority__isnull=True) & ~Q(status=FactsheetStatus.PUBLISHED),
                name="%(app_label)s_%(class)s_one_open_eu",
                violation_error_message=_("The year's factsheet already has an unpublished version."),
            ),
            models.UniqueConstraint(
                fields=["year", "priority"],
                condition=Q(priority__isnull=False) & ~Q(status=FactsheetStatus.PUBLISHED),
                name="%(app_label)s_%(class)s_one_open_priority",
                violation_error_message=_("The year's factsheet already has an unpublished version."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=FactsheetStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
            year_in_range(),
            # a published version is a compiled one: it has its figures' checksum
            models.CheckConstraint(
                condition=~Q(status=FactsheetStatus.PUBLISHED) | ~Q(checksum=""),
                name="%(app_label)s_%(class)s_published_is_compiled",
            ),
        ]

    def __str__(self) -> str:
        return f"Factsheet {self.year} · {self.scope_label} · v{self.version} ({self.get_status_display()})"

    @property
    def scope_label(self) -> str:
        return self.priority.name if self.priority_id else "EU-wide"

    @property
    def scope_slug(self) -> str:
        return self.priority.code.lower() if self.priority_id else "eu"


def factsheet_file_path(instance: FactsheetFile, filename: str) -> str:
    factsheet = instance.factsheet
    return (
        f"factsheets/{factsheet.year}/{factsheet.scope_slug}/v{factsheet.version}/"
        f"{factsheet.checksum[:16]}/{filename}"
    )


class FactsheetFile(models.Model):
    """A file generated from a factsheet's figures (HTML, PDF, CSV, XLSX), kept under MEDIA_ROOT."""

    factsheet = models.ForeignKey(
        Factsheet, on_delete=models.CASCADE, related_name="files", verbose_name=_("factsheet")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=FileKind.choices)
    file = models.FileField(_("file"), upload_to=factsheet_file_path, max_length=300)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    checksum = models.CharField(
        _("checksum of the inputs"), max_length=64, help_text=_("The factsheet checksum it was made from.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["factsheet", "kind"]
        verbose_name = _("factsheet file")
        verbose_name_plural = _("factsheet files")
        constraints = [
            models.UniqueConstraint(
                fields=["factsheet", "kind"], name="%(app_label)s_%(class)s_one_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=FileKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.factsheet} · {self.get_kind_display()}"
