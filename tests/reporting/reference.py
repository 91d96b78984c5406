"""The reference (oracle) of the factsheet figures: the grouped rows computed straight from the
result entries, as the compile did before the rollups (8 queries scanning the entries).

`reference_rows` gives the same rows as `reporting.compile._fetch` reads from the rollups, so
the figures (`_shape`) and the checksum (`_checksum`) of both can be compared exactly.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Q, QuerySet, Sum

from oap.choices import EntryStatus, ParticipationRole, ResultCategory
from oap.models import Participation, PriorityCrimeArea, ResultEntry
from oap.rollups import UPDATED_MODULUS
from reporting.compile import COUNTERS, COUNTRY_KINDS, Compiled, _checksum, _shape, exact

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def validated_entries(years, priority_id: int | None) -> QuerySet:
    """The validated entries of `years` in the scope (all priorities, or one)."""
    entries = ResultEntry.objects.filter(status=EntryStatus.VALIDATED, year__in=list(years)).order_by()
    if priority_id is not None:
        entries = entries.filter(action__plan__priority_id=priority_id)
    return entries


def micros(moment: datetime.datetime) -> int:
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


def reference_rows(year: int, priority_id: int | None) -> dict[str, list[dict]]:
    years = (year, year - 1)
    entries = validated_entries(years, priority_id)
    current = entries.filter(year=year)
    counted = Q(result_type__code__in=COUNTERS) | Q(result_type__category=ResultCategory.DRUGS)

    def actions_of(y):
        return validated_entries([y], priority_id).values("action_id")

    updated: dict[int, int] = {}
    for entry_year, moment in entries.values_list("year", "updated_at"):
        updated[entry_year] = (updated.get(entry_year, 0) + micros(moment)) % UPDATED_MODULUS
    per_year = list(
        entries.values("year")
        .annotate(
            entries=Count("pk"),
            id_sum=Sum("pk"),
            value_sum=Sum("value"),
            actions=Count("action", distinct=True),
        )
        .order_by("year")
    )
    return {
        "years": [
            {
                **row,
                "id_sum": int(row["id_sum"]),
                "updated_sum": updated[row["year"]],
            }
            for row in per_year
        ],
        "counters": list(
            entries.values(
                "year",
                "result_type__code",
                "result_type__name",
                "result_type__unit",
                "result_type__category",
                "result_type__order",
            )
            .annotate(total=Sum("value"), entries=Count("pk"))
            .order_by("year", "result_type__order", "result_type__code")
        ),
        "priority_counters": list(
            current.filter(counted)
            .values(
                "result_type__code",
                "result_type__unit",
                "result_type__category",
                priority=F("action__plan__priority_id"),
            )
            .annotate(total=Sum("value"))
            .order_by("priority", "result_type__code")
        ),
        "priorities": list(
            current.values(
                priority=F("action__plan__priority_id"),
                plan__priority__code=F("action__plan__priority__code"),
                plan__priority__number=F("action__plan__priority__number"),
                plan__priority__name=F("action__plan__priority__name"),
                plan__priority__cycle__code=F("action__plan__priority__cycle__code"),
            )
            .annotate(actions=Count("action", distinct=True))
            .order_by("plan__priority__cycle__code", "plan__priority__number")
        ),
        "plan_counters": list(
            current.filter(counted)
            .values(
                "result_type__code", "result_type__unit", "result_type__category", plan=F("action__plan_id")
            )
            .annotate(total=Sum("value"))
            .order_by("plan", "result_type__code")
        ),
        "plans": list(
            current.values(
                plan=F("action__plan_id"),
                plan__code=F("action__plan__code"),
                plan__name=F("action__plan__name"),
                plan__priority__code=F("action__plan__priority__code"),
            )
            .annotate(actions=Count("action", distinct=True))
            .order_by("plan__code")
        ),
        "participation": list(
            Participation.objects.filter(organisation__kind__in=COUNTRY_KINDS)
            .filter(Q(action_id__in=actions_of(year)) | Q(action_id__in=actions_of(year - 1)))
            .values("organisation", "organisation__code", "organisation__name", "organisation__kind")
            .annotate(
                actions=Count("action", distinct=True, filter=Q(action_id__in=actions_of(year))),
                led=Count("pk", filter=Q(action_id__in=actions_of(year), role=ParticipationRole.LEADER)),
                co_led=Count(
                    "pk", filter=Q(action_id__in=actions_of(year), role=ParticipationRole.CO_LEADER)
                ),
                previous_actions=Count("action", distinct=True, filter=Q(action_id__in=actions_of(year - 1))),
            )
            .order_by("organisation__code")
        ),
        "reported": list(
            current.values("organisation")
            .annotate(entries=Count("pk"), arrests=Sum("value", filter=Q(result_type__code="arrests")))
            .order_by("organisation")
        ),
    }


def reference_compile(*, year: int, priority: PriorityCrimeArea | None = None) -> Compiled:
    """What `compile_figures` must give, computed from the entries."""
    priority_id = priority.pk if priority is not None else None
    rows = {  # the sums to the thousandth (SQLite sums decimals as floats)
        name: [{key: exact(value) for key, value in row.items()} for row in group]
        for name, group in reference_rows(year, priority_id).items()
    }
    return Compiled(figures=_shape(year, priority, rows), checksum=_checksum(year, priority_id, rows))
