"""API viewsets: thin. Querysets start from the access rule; writes call oap.services."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from oap import access, services
from oap.filters import (
    ActionFilterSet,
    OrganisationFilterSet,
    PlanFilterSet,
    PriorityFilterSet,
    ResultFilterSet,
    ResultTypeFilterSet,
)
from oap.models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
)
from oap.selectors import action_totals
from oap.spreadsheets import (
    ACTION_EXPORT_COLUMNS,
    RESULT_EXPORT_COLUMNS,
    action_export_rows,
    result_export_rows,
)

from . import serializers as s
from .base import AUTHENTICATION_CLASSES, RestrictedViewSet, StableOrderingFilter
from .exports import ExportMixin

FILTERS = [DjangoFilterBackend, StableOrderingFilter]


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    filter_backends = FILTERS


@extend_schema_view(
    list=extend_schema(summary="List organisations", description="Member States, EU bodies, partners."),
    retrieve=extend_schema(summary="One organisation, by code"),
)
class OrganisationViewSet(ReadOnlyViewSet):
    model = Organisation
    serializer_class = s.OrganisationSerializer
    filterset_class = OrganisationFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "name", "kind"]
    ordering = ["code"]


@extend_schema_view(
    list=extend_schema(summary="List EMPACT cycles"), retrieve=extend_schema(summary="One cycle")
)
class CycleViewSet(ReadOnlyViewSet):
    model = Cycle
    serializer_class = s.CycleSerializer
    lookup_field = "code"
    ordering_fields = ["start_year", "code"]
    ordering = ["start_year"]


@extend_schema_view(
    list=extend_schema(summary="List priority crime areas"), retrieve=extend_schema(summary="One priority")
)
class PriorityViewSet(ReadOnlyViewSet):
    model = PriorityCrimeArea
    serializer_class = s.PrioritySerializer
    filterset_class = PriorityFilterSet
    ordering_fields = ["number", "code"]
    ordering = ["cycle__start_year", "number"]

    def optimise(self, queryset):
        return queryset.select_related("cycle")


@extend_schema_view(
    list=extend_schema(summary="List result types (the counter catalogue)"),
    retrieve=extend_schema(summary="One result type, by code"),
)
class ResultTypeViewSet(ReadOnlyViewSet):
    model = ResultType
    serializer_class = s.ResultTypeSerializer
    filterset_class = ResultTypeFilterSet
    lookup_field = "code"
    ordering_fields = ["order", "code"]
    ordering = ["order", "code"]

    def optimise(self, queryset):
        return queryset.select_related("parent")


@extend_schema_view(
    list=extend_schema(summary="List operational action plans you may see"),
    retrieve=extend_schema(summary="One plan"),
)
class PlanViewSet(ReadOnlyViewSet):
    model = OperationalActionPlan
    serializer_class = s.PlanSerializer
    filterset_class = PlanFilterSet
    ordering_fields = ["code", "start_year"]
    ordering = ["code"]

    def optimise(self, queryset):
        return queryset.select_related("priority__cycle", "driver").prefetch_related("co_drivers")


@extend_schema_view(
    list=extend_schema(
        summary="List operational actions you may see",
        description="Actions visible to you by their handling level, with their participants and the "
        "totals of the validated results you may see.",
    ),
    retrieve=extend_schema(summary="One operational action"),
)
class ActionViewSet(ExportMixin, ReadOnlyViewSet):
    model = OperationalAction
    serializer_class = s.ActionSerializer
    export_columns = ACTION_EXPORT_COLUMNS
    export_stem = "operational-actions"
    export_rows = staticmethod(action_export_rows)
    filterset_class = ActionFilterSet
    ordering_fields = ["code", "updated_at", "status"]
    ordering = ["code"]

    def optimise(self, queryset):
        participations = Participation.objects.select_related("organisation").order_by(
            "role", "organisation__code", "pk"
        )
        return queryset.select_related("plan__priority__cycle").prefetch_related(
            Prefetch("participations", queryset=participations, to_attr="participant_list"),
            Prefetch("chsgs", queryset=CommonHorizontalStrategicGoal.objects.order_by("number")),
        )

    def get_serializer(self, *args, **kwargs):
        if args:  # the totals of the page's actions: one grouped query
            rows = args[0] if kwargs.get("many") else [args[0]]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["totals"] = action_totals(self.request.user, [row.pk for row in rows])
        return super().get_serializer(*args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="List result entries you may see"),
    retrieve=extend_schema(summary="One result entry"),
    create=extend_schema(
        summary="Record a result (a draft) for your organisation",
        responses={201: s.ResultSerializer},
    ),
    partial_update=extend_schema(
        summary="Change the value or comment of an open entry",
        request=s.ResultUpdateSerializer,
        responses={200: s.ResultSerializer},
    ),
    destroy=extend_schema(summary="Delete an open entry of your organisation"),
)
class ResultViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    RestrictedViewSet,
):
    model = ResultEntry
    serializer_class = s.ResultSerializer
    export_columns = RESULT_EXPORT_COLUMNS
    export_stem = "results"
    export_rows = staticmethod(result_export_rows)
    filterset_class = ResultFilterSet
    filter_backends = FILTERS
    ordering_fields = ["year", "updated_at", "value", "action__code", "organisation__code"]
    # by ids, not codes: a page is read in the order of the index oap_result_list_idx (no sort of
    # every visible entry); `ordering=action__code` etc. still sort by code
    ordering = ["-year", "action_id", "organisation_id", "result_type_id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("action", "organisation", "result_type")

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.ResultUpdateSerializer
        return super().get_serializer_class()

    def _entry(self):
        return self.get_object()

    def _show(self, entry, code=status.HTTP_200_OK):
        entry = self.optimise(ResultEntry.objects.filter(pk=entry.pk)).get()
        return Response(s.ResultSerializer(entry, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = s.ResultSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.result_record(
            by=request.user,
            action=data["action"],
            organisation=data["organisation"],
            result_type=data["result_type"],
            year=data["year"],
            half_year=data.get("half_year"),
            value=data["value"],
            comment=data.get("comment", ""),
        )
        return self._show(entry, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        entry = self._entry()
        serializer = s.ResultUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        entry = services.result_update(
            entry=entry,
            by=request.user,
            value=serializer.validated_data.get("value"),
            comment=serializer.validated_data.get("comment"),
        )
        return self._show(entry)

    def perform_destroy(self, instance):
        services.result_delete(entry=instance, by=self.request.user)

    @extend_schema(
        summary="Submit an entry for validation", request=None, responses={200: s.ResultSerializer}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._show(services.result_submit(entry=self._entry(), by=request.user))

    @extend_schema(
        summary="Validate a submitted entry (action leader, plan drivers, hub)",
        request=None,
        responses={200: s.ResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        return self._show(services.result_validate(entry=self._entry(), by=request.user))

    @extend_schema(
        summary="Return an entry to its organisation, with the reason",
        request=s.ReturnSerializer,
        responses={200: s.ResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        serializer = s.ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.result_return(
            entry=self._entry(), by=request.user, reason=serializer.validated_data["reason"]
        )
        return self._show(entry)

    @extend_schema(
        summary="Record up to 5 000 results at once, all or nothing",
        description="Either every result is recorded (as drafts) or none is; a refusal lists every bad "
        "item by its index, e.g. `results[17].value`.",
        request=s.BulkResultsSerializer,
        responses={201: s.BulkResultsResponseSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        payload = request.data
        if not isinstance(payload, dict) or set(payload) != {"results"}:
            extra = sorted(set(payload) - {"results"}) if isinstance(payload, dict) else []
            errors = {name: ["This field cannot be set here."] for name in extra}
            if not isinstance(payload, dict) or "results" not in payload:
                errors["results"] = ["This field is required: a list of results."]
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                entries = services.results_record_bulk(by=request.user, rows=payload["results"])
        except services.RowErrors as error:
            raise ValidationError(
                {"results": {index: fields for index, fields in error.rows.items()}}
            ) from error
        created = self.optimise(ResultEntry.objects.filter(pk__in=[e.pk for e in entries])).order_by("pk")
        data = s.ResultSerializer(created, many=True, context=self.get_serializer_context()).data
        return Response({"created": len(entries), "results": data}, status=status.HTTP_201_CREATED)


class MeView(APIView):
    """Who am I: my organisation, my role and what I may do."""

    authentication_classes = AUTHENTICATION_CLASSES

    @extend_schema(summary="Who am I, and what may I do", responses={200: s.MeSerializer})
    def get(self, request):
        user = request.user
        perms = sorted(user.get_all_permissions())
        may = {
            "view_actions": access.role_allows(user, "view", OperationalAction),
            "record_results": access.role_allows(user, "add", ResultEntry)
            and user.organisation_id is not None,
            "submit_results": access.role_allows(user, "submit", ResultEntry),
            "validate_results": access.role_allows(user, "validate", ResultEntry),
            "lock_years": access.can_manage_years(user),
        }
        data = {
            "username": user.username,
            "name": user.get_full_name(),
            "email": user.email,
            "organisation": user.organisation,
            "role": user.role,
            "is_superuser": user.is_superuser,
            "sees_everything": access.sees_everything(user),
            "permissions": perms,
            "may": may,
        }
        return Response(s.MeSerializer(data).data)
