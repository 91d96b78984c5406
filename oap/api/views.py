"""API viewsets: thin. Querysets start from the access rule; writes call oap.services."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from oap import access, db, services
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
from oap.services.base import Conflict
from oap.spreadsheets import (
    ACTION_EXPORT_COLUMNS,
    RESULT_EXPORT_COLUMNS,
    action_export_rows,
    result_export_rows,
)

from . import serializers as s
from .base import ApiViewMixin, RestrictedViewSet, StableOrderingFilter, check_if_match
from .exports import ExportMixin
from .filters import (
    ActionFilterSet,
    OrganisationFilterSet,
    PlanFilterSet,
    PriorityFilterSet,
    ResultFilterSet,
    ResultTypeFilterSet,
)

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
    lookup_field = "code"
    export_columns = ACTION_EXPORT_COLUMNS
    export_stem = "operational-actions"
    export_rows = staticmethod(action_export_rows)
    filterset_class = ActionFilterSet
    ordering_fields = ["code", "updated_at", "status"]
    ordering = ["code"]

    def optimise(self, queryset):
        # only what the serializer shows: a participation's role and its organisation's code (as a
        # column, no Organisation row built for it), a goal's code
        participations = (
            Participation.objects.annotate(organisation_code=F("organisation__code"))
            .only("action", "role")
            .order_by("role", "organisation__code", "pk")
        )
        goals = CommonHorizontalStrategicGoal.objects.only("code").order_by("number")
        return queryset.select_related("plan__priority__cycle").prefetch_related(
            Prefetch("participations", queryset=participations, to_attr="participant_list"),
            Prefetch("chsgs", queryset=goals, to_attr="chsg_list"),
        )

    def get_object(self):
        """By code (`DRUGS-CCH 3.2`, as results name their action), or by numeric id."""
        value = self.kwargs[self.lookup_field]
        queryset = self.get_queryset()
        found = queryset.filter(code=value) if not value.isdigit() else queryset.filter(pk=int(value))
        action = found.first() or (queryset.filter(code=value).first() if value.isdigit() else None)
        if action is None:
            raise NotFound("Operational action not found.")
        self.check_object_permissions(self.request, action)
        return action

    def get_serializer(self, *args, **kwargs):
        if args:  # the totals of the page's actions: one grouped query
            rows = args[0] if kwargs.get("many") else [args[0]]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["totals"] = action_totals(self.request.user, [row.pk for row in rows])
        return super().get_serializer(*args, **kwargs)


ROLE_VERBS = {
    "create": ("add", "record"),
    "bulk": ("add", "record"),
    "partial_update": ("change", "change"),
    "destroy": ("delete", "delete"),
    "submit": ("submit", "submit"),
    "validate": ("validate", "validate"),
    "return_": ("validate", "return"),
}


@extend_schema_view(
    list=extend_schema(
        summary="List result entries you may see",
        description="Validated figures of the actions you may see, and your own organisation's entries "
        "in every state (plus those you review). Filters take several values, the key repeated or "
        "comma-separated.",
    ),
    retrieve=extend_schema(
        summary="One result entry",
        description="Its `ETag` header identifies this version: send it back in `If-Match` with a "
        "PATCH or DELETE so that you never overwrite a change you have not seen.",
    ),
    create=extend_schema(
        summary="Record a result (a draft) for your organisation",
        description="Coordinators record figures of their own organisation in actions it takes part "
        "in. A figure already recorded for the same action, organisation, counter and period is a 409 "
        "whose `existing` names it. Send an `Idempotency-Key` to retry safely.",
        responses={201: s.ResultSerializer},
    ),
    partial_update=extend_schema(
        summary="Change the value or comment of an open entry",
        description="Draft and returned entries of your organisation only. With `If-Match: <ETag>`, a "
        "changed entry answers 412 instead of being overwritten.",
        request=s.ResultUpdateSerializer,
        responses={200: s.ResultSerializer},
    ),
    destroy=extend_schema(
        summary="Delete an open entry of your organisation",
        description="Draft and returned entries only; `If-Match` is honoured as for PATCH. The deletion "
        "appears in the changes feed.",
    ),
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

    def role_refusal(self, request):
        permission, verb = ROLE_VERBS.get(self.action, (None, None))
        if permission and not access.role_allows(request.user, permission, ResultEntry):
            return f"Your role does not allow you to {verb} results."
        return None

    def _data(self, entry):
        return s.ResultSerializer(entry, context=self.get_serializer_context()).data

    def _show(self, entry, code=status.HTTP_200_OK):
        entry = self.optimise(ResultEntry.objects.filter(pk=entry.pk)).get()
        return Response(self._data(entry), status=code)

    def _current(self):
        """The entry, locked until the write commits, after its `If-Match` (when sent) was checked."""
        entry = self.get_object()
        db.hold_years([entry.year])  # the services' lock order: the year, then the entry
        locked = self.optimise(ResultEntry.objects.filter(pk=entry.pk)).select_for_update(of=("self",)).get()
        check_if_match(self.request, self._data(locked))
        return locked

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
        response = self._show(entry, status.HTTP_201_CREATED)
        response["Location"] = reverse("api:result-detail", args=[entry.pk], request=request)
        return response

    def partial_update(self, request, *args, **kwargs):
        serializer = s.ResultUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            entry = services.result_update(
                entry=self._current(),
                by=request.user,
                value=serializer.validated_data.get("value"),
                comment=serializer.validated_data.get("comment"),
            )
        return self._show(entry)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            services.result_delete(entry=self._current(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit an entry for validation",
        description="Draft or returned entries of your organisation; a submitted or validated one is a "
        "409 naming its state.",
        request=None,
        responses={200: s.ResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._show(services.result_submit(entry=self.get_object(), by=request.user))

    @extend_schema(
        summary="Validate a submitted entry (action leader, plan drivers, hub)",
        description="Never your own organisation's figures (four eyes). An entry that is not submitted is "
        "a 409 naming its state.",
        request=None,
        responses={200: s.ResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        return self._show(services.result_validate(entry=self.get_object(), by=request.user))

    @extend_schema(
        summary="Return an entry to its organisation, with the reason",
        description="A submitted or validated entry goes back to its organisation, which may change and "
        "submit it again.",
        request=s.ReturnSerializer,
        responses={200: s.ResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        serializer = s.ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.result_return(
            entry=self.get_object(), by=request.user, reason=serializer.validated_data["reason"]
        )
        return self._show(entry)

    @extend_schema(
        summary="Record up to 5 000 results at once, all or nothing",
        description="Either every result is recorded (as drafts) or none is; a refusal lists every bad "
        "item by its index, e.g. `results[17].value` (400), or — when the only problems are figures "
        "already recorded — a 409 naming each. Send an `Idempotency-Key` and retry with the same key "
        "after a timeout: the first answer comes back and nothing is recorded twice.",
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
            rows = {f"results[{index}]": fields for index, fields in error.rows.items()}
            kinds = {problem.kind for found in error.problems.values() for problem in found}
            if kinds == {"conflict"}:  # only figures already there (or locked years): a conflict
                raise Conflict(
                    {
                        f"{row}.{field}": messages
                        for row, fields in rows.items()
                        for field, messages in fields.items()
                    }
                ) from error
            raise ValidationError(
                {"results": {index: fields for index, fields in error.rows.items()}}
            ) from error
        created = self.optimise(ResultEntry.objects.filter(pk__in=[e.pk for e in entries])).order_by("pk")
        data = s.ResultSerializer(created, many=True, context=self.get_serializer_context()).data
        return Response({"created": len(entries), "results": data}, status=status.HTTP_201_CREATED)


class MeView(ApiViewMixin, APIView):
    """Who am I: my organisation, my role and what I may do."""

    @extend_schema(
        summary="Who am I, and what may I do",
        description="Your user, organisation and role, and what your role allows (`may`): ask this first.",
        responses={200: s.MeSerializer},
    )
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
