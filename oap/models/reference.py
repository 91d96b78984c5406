"""Reference data: cycles, priorities, plans, CHSGs, organisations and the counters results use."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..access import RestrictedQuerySet
from ..choices import (
    OrganisationKind,
    ResultCategory,
    ResultUnit,
)

MIN_YEAR, MAX_YEAR = 2010, 2100


def year_field(verbose_name=None, **kwargs) -> models.PositiveSmallIntegerField:
    """A calendar year from MIN_YEAR to MAX_YEAR (forms check it; `year_in_range` has the database do so)."""
    return models.PositiveSmallIntegerField(
        verbose_name or _("year"),
        validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)],
        **kwargs,
    )


def year_in_range() -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(year__gte=MIN_YEAR) & Q(year__lte=MAX_YEAR), name="%(app_label)s_%(class)s_year_range"
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
    start_year = year_field(_("start year"))
    end_year = year_field(_("end year"))
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
