"""The EMPACT domain: what is planned, who takes part, what it achieved."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser, _user_has_perm
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .access import RestrictedQuerySet
from .choices import (
    ActionStatus,
    EntryStatus,
    HalfYear,
    HandlingLevel,
    OrganisationKind,
    ParticipationRole,
    ResultCategory,
    ResultUnit,
    UserRole,
)

MIN_YEAR, MAX_YEAR = 2010, 2100
DUPLICATE_ENTRY = _(
    "This organisation already reported this counter for this action and period; change that entry instead."
)


class CodeQuerySet(models.QuerySet):
    """Reference rows are found by their code (natural key), so fixtures load idempotently."""

    def get_by_natural_key(self, code):
        return self.get(code=code)


class RestrictedCodeQuerySet(RestrictedQuerySet, CodeQuerySet):
    pass


class CodedModel(models.Model):
    objects = CodeQuerySet.as_manager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.code,)


class Organisation(CodedModel):
    """A Member State, EU agency or institution, third country or international organisation."""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        help_text=_("ISO 3166 alpha-2 for countries (ES, DE, CO), a short name otherwise (EUROPOL)."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    is_hub = models.BooleanField(
        _("EMPACT support hub"),
        default=False,
        help_text=_("The hub (Europol) sees every action and validates results."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["is_hub"], condition=Q(is_hub=True), name="%(app_label)s_%(class)s_one_hub"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Cycle(CodedModel):
    """An EMPACT policy cycle of four years (2022–2025, 2026–2029)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["start_year"]
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="%(app_label)s_%(class)s_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriorityCrimeAreaQuerySet(models.QuerySet):
    def get_by_natural_key(self, cycle_code, code):
        return self.get(cycle__code=cycle_code, code=code)


class PriorityCrimeArea(models.Model):
    """A Council priority of one cycle; codes are unique within their cycle."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="priorities", verbose_name=_("cycle")
    )
    code = models.CharField(_("code"), max_length=32)
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("Its place in the Council's list."))
    name = models.CharField(_("name"), max_length=200)
    aim = models.TextField(_("aim"), blank=True)

    objects = PriorityCrimeAreaQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["cycle__start_year", "number"]
        verbose_name = _("priority crime area")
        verbose_name_plural = _("priority crime areas")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="%(app_label)s_%(class)s_unique_code"),
            models.UniqueConstraint(fields=["cycle", "number"], name="%(app_label)s_%(class)s_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cycle.code})"

    def natural_key(self):
        return (self.cycle.code, self.code)

    natural_key.dependencies = ["oap.cycle"]


class CommonHorizontalStrategicGoal(CodedModel):
    """A goal every OAP serves across priorities (document fraud, capacity building, ...)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]
        verbose_name = _("common horizontal strategic goal")
        verbose_name_plural = _("common horizontal strategic goals")

    def __str__(self) -> str:
        return f"CHSG {self.number}: {self.name}"


class OperationalActionPlan(CodedModel):
    """An OAP: one priority's plan for one or two years, run by a driver with co-drivers."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    priority = models.ForeignKey(
        PriorityCrimeArea, on_delete=models.PROTECT, related_name="plans", verbose_name=_("priority")
    )
    start_year = models.PositiveSmallIntegerField(
        _("start year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    end_year = models.PositiveSmallIntegerField(
        _("end year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    driver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="driven_plans", verbose_name=_("driver")
    )
    co_drivers = models.ManyToManyField(
        Organisation, related_name="co_driven_plans", blank=True, verbose_name=_("co-drivers")
    )

    objects = RestrictedCodeQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[co_drivers])

    class Meta:
        ordering = ["code"]
        verbose_name = _("operational action plan")
        verbose_name_plural = _("operational action plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="%(app_label)s_%(class)s_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class OperationalAction(CodedModel):
    """One operational action (OA) of a plan, with a leader, co-leaders and participants."""

    plan = models.ForeignKey(
        OperationalActionPlan, on_delete=models.PROTECT, related_name="actions", verbose_name=_("plan")
    )
    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("For example DRUGS-CCH 3.2."))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    handling = models.CharField(
        _("handling level"),
        max_length=16,
        choices=HandlingLevel.choices,
        default=HandlingLevel.EU,
        help_text=_("Who may see the action besides its participants, the plan's drivers and the hub."),
    )
    chsgs = models.ManyToManyField(
        CommonHorizontalStrategicGoal, related_name="actions", blank=True, verbose_name=_("CHSGs")
    )
    organisations = models.ManyToManyField(
        Organisation, through="Participation", related_name="actions", verbose_name=_("organisations")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = RestrictedCodeQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[chsgs])

    class Meta:
        ordering = ["code"]
        verbose_name = _("operational action")
        verbose_name_plural = _("operational actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=True) | Q(end__gte=F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(handling__in=HandlingLevel.values), name="%(app_label)s_%(class)s_handling_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Participation(models.Model):
    """An organisation's part in an action: leader (exactly one), co-leader or participant."""

    action = models.ForeignKey(
        OperationalAction, on_delete=models.CASCADE, related_name="participations", verbose_name=_("action")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="participations", verbose_name=_("organisation")
    )
    role = models.CharField(
        _("role"), max_length=16, choices=ParticipationRole.choices, default=ParticipationRole.PARTICIPANT
    )

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "role", "organisation__name"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "organisation"],
                name="%(app_label)s_%(class)s_unique_organisation",
                violation_error_message=_("This organisation already takes part in the action."),
            ),
            models.UniqueConstraint(
                fields=["action"],
                condition=Q(role=ParticipationRole.LEADER),
                name="%(app_label)s_%(class)s_one_leader",
                violation_error_message=_("An operational action has exactly one leader."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=ParticipationRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "action"], name="oap_particip_org_action_idx")]

    def __str__(self) -> str:
        return f"{self.organisation.code} — {self.get_role_display()} in {self.action.code}"


class ResultType(CodedModel):
    """A counter of the results catalogue; `parent` makes it an "of which" counter."""

    code = models.CharField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=16, choices=ResultUnit.choices, default=ResultUnit.COUNT)
    category = models.CharField(_("category"), max_length=32, choices=ResultCategory.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("of which, within"),
        help_text=_("Set for an 'of which' counter, such as migrant smugglers within arrests."),
    )
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("result type")
        verbose_name_plural = _("result types")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="%(app_label)s_%(class)s_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_unit_display()})"


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
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    half_year = models.PositiveSmallIntegerField(
        _("half-year"),
        choices=HalfYear.choices,
        null=True,
        blank=True,
        help_text=_("Leave empty for a figure covering the whole year."),
    )
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
            models.CheckConstraint(
                condition=Q(year__gte=MIN_YEAR) & Q(year__lte=MAX_YEAR),
                name="%(app_label)s_%(class)s_year_range",
            ),
            models.CheckConstraint(
                condition=Q(half_year__isnull=True) | Q(half_year__in=HalfYear.values),
                name="%(app_label)s_%(class)s_half_year_valid",
            ),
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
        period = f"{self.year} H{self.half_year}" if self.half_year else str(self.year)
        return (
            f"{self.action.code} · {self.organisation.code} · {self.result_type.code} {period}: {self.value}"
        )


class YearLock(models.Model):
    """A reporting year closed for changes: its entries are frozen until the hub unlocks it."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
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

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    half_year = models.PositiveSmallIntegerField(
        _("half-year"),
        choices=HalfYear.choices,
        null=True,
        blank=True,
        help_text=_("Leave empty for the whole year."),
    )
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
            models.CheckConstraint(
                condition=Q(half_year__isnull=True) | Q(half_year__in=HalfYear.values),
                name="%(app_label)s_%(class)s_half_year_valid",
            ),
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


class User(AbstractUser):
    """A person using the service: belongs to one organisation and has one role."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=16, choices=UserRole.choices, default=UserRole.VIEWER)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=UserRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def has_perm(self, perm, obj=None):
        """Object checks always ask the access rule, even for superusers.

        Django lets an active superuser do anything; for a given object the rule in
        `oap.access` (validated entries and locked years are frozen for everybody) decides.
        """
        if obj is not None and self.is_active:
            return _user_has_perm(self, perm, obj)
        return super().has_perm(perm, obj)

    def __str__(self) -> str:
        org = f" ({self.organisation.code})" if self.organisation_id else ""
        return f"{self.get_full_name() or self.username}{org}"
