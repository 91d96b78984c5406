"""Result entries, year locks and reporting periods."""

from __future__ import annotations

import datetime

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..access import RestrictedQuerySet
from ..choices import (
    EntryStatus,
    HalfYear,
)
from .actions import OperationalAction
from .reference import Organisation, ResultType, year_field, year_in_range

DUPLICATE_ENTRY = _(
    "This organisation already reported this counter for this action and period; change that entry instead."
)


def half_year_field(help_text=None) -> models.PositiveSmallIntegerField:
    """The half of the year a period covers (1 or 2), or empty for the whole year."""
    return models.PositiveSmallIntegerField(
        _("half-year"),
        choices=HalfYear.choices,
        null=True,
        blank=True,
        help_text=help_text or _("Leave empty for the whole year."),
    )


def half_year_valid() -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(half_year__isnull=True) | Q(half_year__in=HalfYear.values),
        name="%(app_label)s_%(class)s_half_year_valid",
    )


class ResultEntry(models.Model):
    """One organisation's figure for one counter in one action and reporting period."""

    action = models.ForeignKey(
        OperationalAction, on_delete=models.PROTECT, related_name="results", verbose_name=_("action")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="results",
        verbose_name=_("organisation"),
        db_index=False,  # oap_result_org_year_idx (organisation, year) serves it
    )
    result_type = models.ForeignKey(
        ResultType, on_delete=models.PROTECT, related_name="entries", verbose_name=_("result type")
    )
    year = year_field()
    half_year = half_year_field(_("Leave empty for a figure covering the whole year."))
    value = models.DecimalField(
        _("value"), max_digits=18, decimal_places=3, validators=[MinValueValidator(0)]
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EntryStatus.choices, default=EntryStatus.DRAFT
    )
    comment = models.TextField(_("comment"), blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    entered_by = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entered_results",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    validated_by = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="validated_results",
        verbose_name=_("validated by"),
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = RestrictedQuerySet.as_manager()
    # the audit trail is read per entry (its id) and by date: the copied foreign keys and
    # updated_at need no index of their own there, and each one costs every bulk import
    history = HistoricalRecords(
        no_db_index=["action", "organisation", "result_type", "entered_by", "validated_by", "updated_at"]
    )

    class Meta:
        ordering = ["-year", "action__code", "organisation__code", "result_type__order", "pk"]
        verbose_name = _("result entry")
        verbose_name_plural = _("result entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0), name="%(app_label)s_%(class)s_value_non_negative"
            ),
            year_in_range(),
            half_year_valid(),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            # NULLs are distinct in a plain unique constraint, so the whole-year and the
            # half-year periods each get their own partial unique index.
            models.UniqueConstraint(
                fields=["action", "organisation", "result_type", "year", "half_year"],
                condition=Q(half_year__isnull=False),
                name="%(app_label)s_%(class)s_unique_half_year",
                violation_error_message=DUPLICATE_ENTRY,
            ),
            models.UniqueConstraint(
                fields=["action", "organisation", "result_type", "year"],
                condition=Q(half_year__isnull=True),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=DUPLICATE_ENTRY,
            ),
        ]
        permissions = [
            ("submit_resultentry", _("Can submit result entries for validation")),
            ("validate_resultentry", _("Can validate or return result entries")),
        ]
        indexes = [
            models.Index(fields=["year", "status", "result_type"], name="oap_result_year_status_idx"),
            models.Index(fields=["organisation", "year"], name="oap_result_org_year_idx"),
            # the API's default list order (-year, action, organisation, counter, id): a page is
            # read from the index instead of sorting every visible entry
            models.Index(
                fields=["-year", "action", "organisation", "result_type", "id"], name="oap_result_list_idx"
            ),
            # validated entries by year and counter, with their value: the factsheet compile and the
            # yearly aggregates read this index only (index-only scans)
            models.Index(
                fields=["year", "result_type", "action", "organisation"],
                include=["value", "id", "updated_at"],
                condition=Q(status="validated"),
                name="oap_result_valid_year_idx",
            ),
            # validated totals of a page of actions (the actions list)
            models.Index(
                fields=["action", "year", "result_type"],
                include=["value"],
                condition=Q(status="validated"),
                name="oap_result_valid_action_idx",
            ),
        ]

    def __str__(self) -> str:
        period = period_name(self.year, self.half_year)
        return (
            f"{self.action.code} · {self.organisation.code} · {self.result_type.code} {period}: {self.value}"
        )


class YearLock(models.Model):
    """A reporting year closed for changes: its entries are frozen until the hub unlocks it."""

    year = year_field(unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    locked_by = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )
    locked_at = models.DateTimeField(_("locked"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("locked year")
        verbose_name_plural = _("locked years")

    def __str__(self) -> str:
        return f"{self.year} (locked)"


def period_bounds(year: int, half_year: int | None) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a reporting period: a whole year, or one of its halves."""
    if half_year == HalfYear.H1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    if half_year == HalfYear.H2:
        return datetime.date(year, 7, 1), datetime.date(year, 12, 31)
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def period_name(year: int, half_year: int | None) -> str:
    return f"{year} H{half_year}" if half_year else str(year)


class ReportingPeriod(models.Model):
    """A reporting period's deadlines, set by the hub: when its results are due, when validation closes.

    A period is a whole year or, where figures are reported by half-year, one half. The results
    of a whole-year period are every figure of the year; those of a half-year, that half's figures.
    """

    year = year_field()
    half_year = half_year_field()
    results_due = models.DateField(
        _("results due"), help_text=_("Organisations submit the period's figures by this date.")
    )
    validation_closes = models.DateField(
        _("validation closes"),
        help_text=_("Action leaders, plan drivers and the hub validate or return them by this date."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "half_year"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "half_year"],
                condition=Q(half_year__isnull=False),
                name="%(app_label)s_%(class)s_unique_half_year",
                violation_error_message=_("This half-year already has its deadlines; change them there."),
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(half_year__isnull=True),
                name="%(app_label)s_%(class)s_unique_year",
                violation_error_message=_("This year already has its deadlines; change them there."),
            ),
            half_year_valid(),
            models.CheckConstraint(
                condition=Q(validation_closes__gte=F("results_due")),
                name="%(app_label)s_%(class)s_validation_after_due",
                violation_error_message=_("Validation closes on or after the date the results are due."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: results due {self.results_due:%d %b %Y}"

    @property
    def name(self) -> str:
        return period_name(self.year, self.half_year)

    @property
    def bounds(self) -> tuple[datetime.date, datetime.date]:
        return period_bounds(self.year, self.half_year)
