"""The API's filters (django-filter FilterSets), shared by its lists and their exports.

Each relation is filtered by its code (`plan=DRUGS-CCH-26`, `organisation=ES`). Every filter that
takes several values takes them both ways, alike: the key repeated (`priority=DRUGS&priority=THB`,
what generated clients send) or the values comma-separated (`priority=DRUGS,THB`), or both mixed.
The schema says so (`style: form`, `explode: true`, an array of items, with their enum where the
values are fixed). `q` searches the free text.
"""

from __future__ import annotations

import datetime

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from oap.choices import ActionStatus, EntryStatus, HalfYear, HandlingLevel, OrganisationKind, ResultCategory
from oap.forms import ManyField
from oap.models import (
    MAX_YEAR,
    MIN_YEAR,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
)


class YearField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", MIN_YEAR)
        kwargs.setdefault("max_value", MAX_YEAR)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR})
class YearFilter(df.NumberFilter):
    """A reporting year: a whole number from MIN_YEAR to MAX_YEAR (anything else is a 400 naming it)."""

    field_class = YearField


class SinceField(IsoDateTimeField):
    """An ISO 8601 date and time that the database can compare with (no overflow at year 1 or 9999,
    any offset ISO 8601 allows)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(timezone.get_current_timezone())
                # in UTC: PostgreSQL refuses offsets past ±15:59 that ISO 8601 allows (-21:34)
                value = value.astimezone(datetime.UTC)
            except OverflowError as error:
                raise forms.ValidationError(
                    "Give a date and time from year 1 to 9999, e.g. 2024-01-31T12:00:00Z.", code="invalid"
                ) from error
        return value


class UpdatedSinceFilter(df.IsoDateTimeFilter):
    """Rows changed at or after an ISO 8601 date and time."""

    field_class = SinceField

    def __init__(self, **kwargs):
        kwargs.setdefault("field_name", "updated_at")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", "Changed at or after (ISO 8601, e.g. 2024-01-31T12:00:00Z)")
        super().__init__(**kwargs)


#: the schema of one code in a multi-value filter: what `ManyField` refuses, the schema refuses too
CODE_SCHEMA = {"type": "string", "maxLength": ManyField.max_length, "pattern": "^[^\\x00]*$"}


class ManyFilter(df.MultipleChoiceFilter):
    """One or more values — the key repeated, or comma-separated, or both — matched with `__in`."""

    field_class = ManyField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [])
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": list(value)})


class CodesFilter(ManyFilter):
    """One or more codes (each looked up, not listed in the schema: `CODE_SCHEMA`)."""


class ChoicesFilter(ManyFilter):
    """One or more of fixed values (an enum in the schema)."""


class OrganisationFilterSet(df.FilterSet):
    kind = ChoicesFilter(choices=OrganisationKind.choices)
    q = df.CharFilter(method="search", label="Code or name contains")

    class Meta:
        model = Organisation
        fields = ["kind", "is_hub"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class PriorityFilterSet(df.FilterSet):
    cycle = CodesFilter(field_name="cycle__code", label="Cycle code(s), e.g. 2022-2025")

    class Meta:
        model = PriorityCrimeArea
        fields = ["cycle"]


class ResultTypeFilterSet(df.FilterSet):
    category = ChoicesFilter(choices=ResultCategory.choices)
    parent = CodesFilter(field_name="parent__code", label="Parent counter code(s)")

    class Meta:
        model = ResultType
        fields = ["category", "unit", "parent"]


class PlanFilterSet(df.FilterSet):
    cycle = CodesFilter(field_name="priority__cycle__code", label="Cycle code(s)")
    priority = CodesFilter(field_name="priority__code", label="Priority code(s)")
    driver = CodesFilter(field_name="driver__code", label="Driver organisation code(s)")
    year = YearFilter(method="in_year", label="Plans running in this year")
    q = df.CharFilter(method="search", label="Code or name contains")

    class Meta:
        model = OperationalActionPlan
        fields = ["cycle", "priority", "driver", "year"]

    def in_year(self, queryset, name, value):
        return queryset.filter(start_year__lte=value, end_year__gte=value)

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class ActionFilterSet(df.FilterSet):
    cycle = CodesFilter(field_name="plan__priority__cycle__code", label="Cycle code(s)")
    priority = CodesFilter(field_name="plan__priority__code", label="Priority code(s)")
    plan = CodesFilter(field_name="plan__code", label="Plan code(s)")
    status = ChoicesFilter(choices=ActionStatus.choices)
    handling = ChoicesFilter(choices=HandlingLevel.choices)
    organisation = CodesFilter(
        method="with_participant", label="Participating organisation code(s), any role"
    )
    leader = CodesFilter(method="led_by", label="Leading organisation code(s)")
    year = YearFilter(method="in_year", label="Actions running in this year")
    updated_since = UpdatedSinceFilter()
    q = df.CharFilter(method="search", label="Code, title or description contains")

    class Meta:
        model = OperationalAction
        fields = ["cycle", "priority", "plan", "status", "handling", "organisation", "leader", "year"]

    def with_participant(self, queryset, name, value: str):
        actions = Participation.objects.filter(organisation__code__in=value).values("action_id")
        return queryset.filter(pk__in=actions)

    def led_by(self, queryset, name, value: str):
        actions = Participation.objects.filter(organisation__code__in=value, role="leader").values(
            "action_id"
        )
        return queryset.filter(pk__in=actions)

    def in_year(self, queryset, name, value):
        year = int(value)
        return queryset.filter(
            Q(start__isnull=True) | Q(start__lte=datetime.date(year, 12, 31)),
            Q(end__isnull=True) | Q(end__gte=datetime.date(year, 1, 1)),
        )

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value)
        )


class ResultFilterSet(df.FilterSet):
    cycle = CodesFilter(field_name="action__plan__priority__cycle__code", label="Cycle code(s)")
    priority = CodesFilter(field_name="action__plan__priority__code", label="Priority code(s)")
    plan = CodesFilter(field_name="action__plan__code", label="Plan code(s)")
    action = CodesFilter(field_name="action__code", label="Action code(s)")
    organisation = CodesFilter(field_name="organisation__code", label="Reporting organisation code(s)")
    leader = CodesFilter(method="led_by", label="Code(s) of the organisation leading the action")
    handling = ChoicesFilter(field_name="action__handling", choices=HandlingLevel.choices)
    result_type = CodesFilter(field_name="result_type__code", label="Counter code(s)")
    category = ChoicesFilter(field_name="result_type__category", choices=ResultCategory.choices)
    status = ChoicesFilter(choices=EntryStatus.choices)
    year = YearFilter(label="Reporting year")
    half_year = df.ChoiceFilter(choices=HalfYear.choices)
    updated_since = UpdatedSinceFilter()
    q = df.CharFilter(method="search", label="Action code or title, organisation or counter contains")

    class Meta:
        model = ResultEntry
        fields = ["cycle", "priority", "plan", "action", "organisation", "result_type", "status", "year"]

    def led_by(self, queryset, name, value: str):
        actions = Participation.objects.filter(organisation__code__in=value, role="leader").values(
            "action_id"
        )
        return queryset.filter(action_id__in=actions)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(action__code__icontains=value)
            | Q(action__title__icontains=value)
            | Q(organisation__code__iexact=value)
            | Q(organisation__name__icontains=value)
            | Q(result_type__code__icontains=value)
        )
