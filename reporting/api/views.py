"""`/api/v1/factsheets/`: read the factsheets you may see; analysts and the hub request compiles."""

from __future__ import annotations

import django_filters as df
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from oap.api.base import ApiViewMixin, StableOrderingFilter
from oap.api.filters import ChoicesFilter
from oap.models import PriorityCrimeArea
from reporting import access as reports
from reporting import services
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet

from .serializers import CompileRequestSerializer, FactsheetSerializer


class FactsheetFilterSet(df.FilterSet):
    status = ChoicesFilter(choices=FactsheetStatus.choices)
    priority = df.CharFilter(
        field_name="priority__code", label="Priority code; `eu` for EU-wide ones", method="scope"
    )

    class Meta:
        model = Factsheet
        fields = ["year", "status", "version"]

    def scope(self, queryset, name, value):
        if value.lower() == "eu":
            return queryset.filter(priority__isnull=True)
        return queryset.filter(priority__code=value)


@extend_schema_view(
    list=extend_schema(
        summary="List the factsheets you may read (published ones; all for analysts and the hub)"
    ),
    retrieve=extend_schema(summary="One factsheet version: figures, compile state and file links"),
)
class FactsheetViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = FactsheetSerializer
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = FactsheetFilterSet
    ordering_fields = ["year", "version", "compiled_at"]
    ordering = ["-year", "-version"]

    def role_refusal(self, request):
        if self.action == "create" and not reports.can_compile(request.user):
            return "Only analysts and the EMPACT support team (hub) compile factsheets."
        if self.action == "publish" and not reports.can_publish(request.user):
            return "Only the EMPACT support team (hub) publishes factsheets: it locks the year."
        return None

    def get_queryset(self):
        return Factsheet.objects.visible_to(self.request.user).select_related("priority")

    @extend_schema(
        summary="Request a compile (analysts and the hub): 202 with the task id; poll the factsheet",
        request=CompileRequestSerializer,
        responses={202: FactsheetSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = CompileRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        priority = serializer.validated_data.get("priority")
        if priority:
            found = PriorityCrimeArea.objects.filter(
                code=priority,
                cycle__start_year__lte=serializer.validated_data["year"],
                cycle__end_year__gte=serializer.validated_data["year"],
            ).first()
            if found is None:
                raise ValidationError({"priority": [f"No priority {priority!r} in the cycle of that year."]})
            priority = found
        factsheet = services.factsheet_request_compile(
            by=request.user, year=serializer.validated_data["year"], priority=priority or None
        )
        data = FactsheetSerializer(factsheet, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    @extend_schema(
        summary="Publish a compiled version (the hub): locks the year",
        request=None,
        responses={200: FactsheetSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        factsheet = services.factsheet_publish(by=request.user, factsheet=self.get_object())
        return Response(FactsheetSerializer(factsheet, context=self.get_serializer_context()).data)
