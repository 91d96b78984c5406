"""The oracle of the factsheet figures: the grouped rows computed with the ORM, one question per
query (9 queries, each its own GROUP BY over the entries), independent of the compile's statement.

`reference_rows` gives the same rows as `reporting.compile_sql.fetch_rows` reads in one statement, so the
figures and the checksum of both (`reporting.compile.figures_of`) can be compared exactly. Run it
inside one REPEATABLE READ transaction (or on data nobody is writing): its queries are separate.
"""

from __future__ import annotations

from django.db.models import Count, F, Max, Q, QuerySet, Sum

from oap.choices import EntryStatus, ParticipationRole
from oap.models import Participation, PriorityCrimeArea, ResultEntry
from reporting.compile import Compiled, figures_of
from reporting.compile_sql import COUNTRY_KINDS, exact, instant


def validated_entries(years, priority_id: int | None) -> QuerySet:
    """The validated entries of `years` in the scope (all priorities, or one)."""
    entries = ResultEntry.objects.filter(status=EntryStatus.VALIDATED, year__in=list(years)).order_by()
    if priority_id is not None:
        entries = entries.filter(action__plan__priority_id=priority_id)
    return entries


def _exact(rows, *names) -> list[dict]:
    return [{**row, **{name: exact(row[name]) for name in names}} for row in rows]


def reference_rows(year: int, priority_id: int | None) -> dict[str, list[dict]]:
    entries = validated_entries((year, year - 1), priority_id)
    current = entries.filter(year=year)
    type_fields = {"code": F("result_type__code"), "unit": F("result_type__unit")}
    type_fields["category"] = F("result_type__category")

    def actions_of(y):
        return validated_entries([y], priority_id).values("action_id")

    this_year = Q(action_id__in=actions_of(year))
    return {
        "years": [
            {
                **row,
                "id_sum": int(row["id_sum"]),
                "value_sum": exact(row["value_sum"]),
                "updated": instant(row["updated"]),
            }
            for row in entries.values("year").annotate(
                entries=Count("pk"),
                id_sum=Sum("pk"),
                value_sum=Sum("value"),
                updated=Max("updated_at"),
                actions=Count("action", distinct=True),
            )
        ],
        "counters": _exact(
            entries.values(
                "year",
                type=F("result_type_id"),
                name=F("result_type__name"),
                order=F("result_type__order"),
                **type_fields,
            ).annotate(total=Sum("value"), entries=Count("pk")),
            "total",
        ),
        "priority_counters": _exact(
            current.values(priority=F("action__plan__priority_id"), **type_fields).annotate(
                total=Sum("value")
            ),
            "total",
        ),
        "plan_counters": _exact(
            current.values(plan=F("action__plan_id"), **type_fields).annotate(total=Sum("value")), "total"
        ),
        "priorities": list(
            current.values(
                priority=F("action__plan__priority_id"),
                code=F("action__plan__priority__code"),
                number=F("action__plan__priority__number"),
                name=F("action__plan__priority__name"),
                cycle=F("action__plan__priority__cycle__code"),
            ).annotate(actions=Count("action", distinct=True))
        ),
        "plans": list(
            current.values(
                plan=F("action__plan_id"),
                code=F("action__plan__code"),
                name=F("action__plan__name"),
                priority=F("action__plan__priority__code"),
            ).annotate(actions=Count("action", distinct=True))
        ),
        "participation": list(
            Participation.objects.filter(organisation__kind__in=COUNTRY_KINDS)
            .filter(this_year | Q(action_id__in=actions_of(year - 1)))
            .values(
                "organisation",
                code=F("organisation__code"),
                name=F("organisation__name"),
                kind=F("organisation__kind"),
            )
            .annotate(
                actions=Count("action", distinct=True, filter=this_year),
                led=Count("pk", filter=this_year & Q(role=ParticipationRole.LEADER)),
                co_led=Count("pk", filter=this_year & Q(role=ParticipationRole.CO_LEADER)),
                previous_actions=Count("action", distinct=True, filter=Q(action_id__in=actions_of(year - 1))),
            )
            .order_by()
        ),
        "reported": [
            {**row, "arrests": exact(row["arrests"]) if row["arrests"] is not None else None}
            for row in current.values("organisation").annotate(
                entries=Count("pk"), arrests=Sum("value", filter=Q(result_type__code="arrests"))
            )
        ],
    }


def reference_compile(*, year: int, priority: PriorityCrimeArea | None = None) -> Compiled:
    """What `compile_figures` must give, computed from the entries by other queries."""
    return figures_of(year, priority, reference_rows(year, priority.pk if priority is not None else None))
