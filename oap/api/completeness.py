"""Reporting periods and completeness in the API: `/api/v1/periods/` and `/api/v1/completeness/`.

Both read through `oap.selectors` and the access rule like the rest of the API: the completeness
of a period holds only actions the caller may see, and of another organisation's figures only
what the rule shows them (see `oap.completeness`).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oap.choices import OrganisationKind
from oap.completeness import CELL_STATES, read_query
from oap.models import ReportingPeriod
from oap.selectors import completeness

from .base import ApiViewMixin, RestrictedViewSet, StableOrderingFilter
from .filters import CODE_SCHEMA


class PeriodSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="2026 H2, or 2025 for a whole year.")

    class Meta:
        model = ReportingPeriod
        fields = ["year", "half_year", "name", "results_due", "validation_closes", "note"]


@extend_schema_view(
    list=extend_schema(
        summary="List reporting periods and their deadlines",
        description="When each period's results are due and when their validation closes (set by the hub).",
    ),
    retrieve=extend_schema(summary="One reporting period"),
)
class PeriodViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    model = ReportingPeriod
    serializer_class = PeriodSerializer
    filter_backends = [StableOrderingFilter]
    ordering_fields = ["year", "results_due"]
    ordering = ["-year", "half_year"]


class TallySerializer(serializers.Serializer):
    expected = serializers.IntegerField(help_text="Expected reports: organisations taking part × actions.")
    delivered = serializers.IntegerField(help_text="Of those, submitted or validated.")
    rate = serializers.FloatField(
        allow_null=True, help_text="delivered / expected (null when nothing is expected)."
    )
    states = serializers.DictField(child=serializers.IntegerField(), help_text="Reports by state.")


class CellSerializer(serializers.Serializer):
    plan = serializers.CharField()
    action = serializers.CharField()
    organisation = serializers.CharField()
    role = serializers.CharField()
    state = serializers.ChoiceField(choices=list(CELL_STATES))
    validated = serializers.IntegerField(help_text="Validated figures.")
    submitted = serializers.IntegerField(
        allow_null=True, help_text="Submitted figures (null: not yours to see)."
    )
    open = serializers.IntegerField(
        allow_null=True, help_text="Draft and returned figures (null: not yours to see)."
    )


class CompletenessSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    half_year = serializers.IntegerField(allow_null=True)
    period = PeriodSerializer(allow_null=True)
    states = serializers.DictField(child=serializers.CharField(), help_text="Each state and what it means.")
    total = TallySerializer()
    plans = serializers.DictField(child=TallySerializer(), help_text="Totals by plan code.")
    actions = serializers.DictField(child=TallySerializer(), help_text="Totals by action code (rows).")
    organisations = serializers.DictField(
        child=TallySerializer(), help_text="Totals by organisation code (columns)."
    )
    cells = CellSerializer(many=True)


def _tally(tally) -> dict:
    return {
        "expected": tally.expected,
        "delivered": tally.delivered,
        "rate": tally.rate,
        "states": tally.states,
    }


def _many(name: str, items: dict, description: str) -> OpenApiParameter:
    """A multi-value filter, as the lists' (oap.api.filters): the key repeated or comma-separated."""
    return OpenApiParameter(
        name,
        {"type": "array", "items": items},
        style="form",
        explode=True,
        description=f"{description} Several: the key repeated or the values comma-separated.",
    )


def _parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "year", OpenApiTypes.INT, description="The period's year (default: the period due soonest)."
        ),
        OpenApiParameter(
            "half_year", OpenApiTypes.INT, enum=[1, 2], description="1 or 2; none: the whole year."
        ),
        _many("plan", CODE_SCHEMA, "Plans' codes, e.g. DRUGS-CCH-26."),
        _many("priority", CODE_SCHEMA, "Priorities' codes, e.g. DRUGS."),
        _many(
            "kind",
            {"type": "string", "enum": OrganisationKind.values},
            "Organisations of these kinds only.",
        ),
        _many("organisation", CODE_SCHEMA, "Organisations' codes, e.g. ES."),
    ]


class CompletenessView(ApiViewMixin, APIView):
    """Who has reported for a period: each organisation taking part in each active action you may see."""

    @extend_schema(
        summary="Completeness of a reporting period",
        description=(
            "Every expected report (an organisation taking part in an action that runs in the period) "
            "with its state: `validated`, `submitted`, `reported` (entered or returned, not all submitted), "
            "`none`, or `undisclosed` where you neither report nor review (only validated figures are "
            "yours to see there). Totals by plan, action and organisation. Not paginated: one period's matrix."
        ),
        parameters=_parameters(),
        responses={200: CompletenessSerializer},
    )
    def get(self, request):
        user = request.user
        query, errors = read_query(user, request.query_params)
        if errors:
            raise exceptions.ValidationError(errors)
        result = completeness(user=user, **query)
        actions = {action.pk: action for action in result.actions}
        organisations = {organisation.pk: organisation for organisation in result.organisations}
        cells = []
        for (action_id, organisation_id), cell in sorted(
            result.cells.items(), key=lambda item: (actions[item[0][0]].code, organisations[item[0][1]].code)
        ):
            action = actions[action_id]
            cells.append(
                {
                    "plan": action.plan.code,
                    "action": action.code,
                    "organisation": organisations[organisation_id].code,
                    "role": cell.role,
                    "state": cell.state,
                    "validated": cell.validated,
                    "submitted": cell.submitted if cell.disclosed else None,
                    "open": cell.open if cell.disclosed else None,
                }
            )
        plans = {plan.pk: plan.code for plan in result.plans()}
        data = {
            "year": result.year,
            "half_year": result.half_year,
            "period": result.period,
            "states": {code: f"{state.label}: {state.help}" for code, state in CELL_STATES.items()},
            "total": _tally(result.total()),
            "plans": {plans[pk]: _tally(t) for pk, t in result.by_plan().items()},
            "actions": {actions[pk].code: _tally(t) for pk, t in result.by_action().items()},
            "organisations": {
                organisations[pk].code: _tally(t) for pk, t in result.by_organisation().items()
            },
            "cells": cells,
        }
        return Response(CompletenessSerializer(data).data)
