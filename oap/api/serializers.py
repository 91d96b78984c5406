"""API representations. Relations are given by code; writes go through oap.services."""

from __future__ import annotations

from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oap.choices import ParticipationRole
from oap.formats import json_number
from oap.models import (
    MAX_YEAR,
    MIN_YEAR,
    Cycle,
    OperationalAction,
    OperationalActionPlan,
    Organisation,
    PriorityCrimeArea,
    ResultEntry,
    ResultType,
)


class ReadableFieldsOnce:
    """A serializer that lists its readable fields once, not again for every row it represents (a
    list's child serializer represents every row of the page; `fields` itself is built once)."""

    @cached_property
    def _readable_fields(self):
        return [field for field in self.fields.values() if not field.write_only]


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not accept, instead of silently ignoring them (no mass assignment)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here."] for name in unknown}
                )
        return super().to_internal_value(data)


class CodeField(serializers.SlugRelatedField):
    """A related row given by its `code`; text the database cannot hold (NUL) is refused, not looked up."""

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "null_characters": "Null characters are not allowed.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class VisibleActionField(CodeField):
    """An operational action by its code, among those the user may see: a hidden action is "not
    found" like a missing one. The scope is built when a code is read (writes), not for lists."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return OperationalAction.objects.none()
        return OperationalAction.objects.visible_to(request.user)


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "pattern": r"^[0-9]+([.,][0-9]+)?$"}, {"type": "number", "minimum": 0}],
        "description": "A figure: a number, or a string in decimal notation (e.g. `120.5`).",
    }
)
class FigureField(serializers.Field):
    """A figure as sent (a JSON number or a string): the row checker (oap.services) reads it.

    The rules of a value (never negative, whole counts, decimals, maximum per unit) live in
    the checker only; this field refuses only what is not a number or text at all.
    """

    default_error_messages = {"invalid": "Give the value as a number or a string such as 120.5."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return json_number(value)


class PrefetchedManyRelatedField(serializers.ManyRelatedField):
    """A to-many relation read from the list that `Prefetch(<relation>, to_attr=prefetched)` put on
    the row (no related manager built per row, as `to_attr` spares the prefetch building one too);
    the relation itself, the field's source, when the row was read without it. The schema reads the
    relation."""

    def __init__(self, prefetched: str, **kwargs):
        self.prefetched = prefetched
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        rows = getattr(instance, self.prefetched, None)
        return rows if rows is not None else super().get_attribute(instance)


class OrganisationSerializer(ReadableFieldsOnce, serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["code", "name", "kind", "is_hub"]


class CycleSerializer(ReadableFieldsOnce, serializers.ModelSerializer):
    class Meta:
        model = Cycle
        fields = ["code", "name", "start_year", "end_year"]


class PrioritySerializer(ReadableFieldsOnce, serializers.ModelSerializer):
    cycle = serializers.CharField(source="cycle.code", read_only=True)

    class Meta:
        model = PriorityCrimeArea
        fields = ["id", "cycle", "code", "number", "name", "aim"]


class ResultTypeSerializer(ReadableFieldsOnce, serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ResultType
        fields = ["code", "name", "unit", "category", "parent"]


class PlanSerializer(ReadableFieldsOnce, serializers.ModelSerializer):
    priority = serializers.CharField(source="priority.code", read_only=True)
    cycle = serializers.CharField(source="priority.cycle.code", read_only=True)
    driver = serializers.CharField(source="driver.code", read_only=True)
    co_drivers = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = OperationalActionPlan
        fields = ["id", "code", "name", "cycle", "priority", "start_year", "end_year", "driver", "co_drivers"]


class ParticipantSerializer(ReadableFieldsOnce, serializers.Serializer):
    """A participation as the actions list reads it: `organisation_code` annotated on the row."""

    organisation = serializers.CharField(source="organisation_code")
    role = serializers.ChoiceField(choices=ParticipationRole.choices)


class ActionSerializer(ReadableFieldsOnce, serializers.ModelSerializer):
    plan = serializers.CharField(source="plan.code", read_only=True)
    priority = serializers.CharField(source="plan.priority.code", read_only=True)
    cycle = serializers.CharField(source="plan.priority.cycle.code", read_only=True)
    leader = serializers.SerializerMethodField()
    participants = ParticipantSerializer(source="participant_list", many=True, read_only=True)
    chsgs = PrefetchedManyRelatedField(
        prefetched="chsg_list",
        child_relation=serializers.SlugRelatedField(slug_field="code", read_only=True),
        read_only=True,
    )
    totals = serializers.SerializerMethodField(
        help_text="Validated results you may see, per counter code and year: {year: {counter: value}}."
    )

    class Meta:
        model = OperationalAction
        fields = [
            "id",
            "code",
            "title",
            "description",
            "cycle",
            "plan",
            "priority",
            "status",
            "handling",
            "start",
            "end",
            "leader",
            "participants",
            "chsgs",
            "totals",
            "created_at",
            "updated_at",
        ]

    def get_leader(self, action) -> str | None:
        for participation in action.participant_list:
            if participation.role == ParticipationRole.LEADER:
                return participation.organisation_code
        return None

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "number"}},
        }
    )
    def get_totals(self, action):
        totals = self.context.get("totals", {}).get(action.pk, {})
        return {
            str(year): {code: json_number(value) for code, value in counters.items()}
            for year, counters in totals.items()
        }


class ResultSerializer(ReadableFieldsOnce, StrictSerializer, serializers.ModelSerializer):
    # the same words as the bulk endpoint's; a hidden action is "not found" like a missing one
    action = VisibleActionField(
        queryset=OperationalAction.objects.all(),
        error_messages={"does_not_exist": "No operational action with code '{value}'."},
    )
    organisation = CodeField(
        queryset=Organisation.objects.all(),
        error_messages={"does_not_exist": "No organisation with code '{value}'."},
    )
    result_type = CodeField(
        queryset=ResultType.objects.all(),
        error_messages={"does_not_exist": "No result type with code '{value}'."},
    )
    value = FigureField()

    class Meta:
        model = ResultEntry
        fields = [
            "id",
            "action",
            "organisation",
            "result_type",
            "year",
            "half_year",
            "value",
            "status",
            "comment",
            "return_reason",
            "entered_at",
            "submitted_at",
            "validated_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "return_reason",
            "entered_at",
            "submitted_at",
            "validated_at",
            "updated_at",
        ]
        validators = []  # the services check uniqueness and say which field


class ResultUpdateSerializer(StrictSerializer, serializers.ModelSerializer):
    """What may change on an open entry: its figure and comment."""

    value = FigureField(required=False)

    class Meta:
        model = ResultEntry
        fields = ["value", "comment"]


class ReturnSerializer(StrictSerializer):
    reason = serializers.CharField(help_text="Why the entry goes back to its organisation.")


class BulkResultSerializer(StrictSerializer):
    """One result of a bulk request (the same fields as recording one)."""

    action = serializers.CharField()
    organisation = serializers.CharField()
    result_type = serializers.CharField()
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)
    half_year = serializers.IntegerField(min_value=1, max_value=2, required=False, allow_null=True)
    value = FigureField()
    comment = serializers.CharField(required=False, allow_blank=True)


class BulkResultsSerializer(StrictSerializer):
    results = serializers.ListField(
        child=BulkResultSerializer(),
        min_length=1,
        max_length=5000,
        help_text="1 to 5 000 results, recorded all together or not at all.",
    )


class BulkResultsResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    results = ResultSerializer(many=True)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    organisation = OrganisationSerializer(allow_null=True)
    role = serializers.CharField()
    is_superuser = serializers.BooleanField()
    sees_everything = serializers.BooleanField()
    permissions = serializers.ListField(child=serializers.CharField())
    may = serializers.DictField(child=serializers.BooleanField())
