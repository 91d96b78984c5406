"""The factsheet's figures, typed for the schema (their shape is `reporting.compile._shape`'s).

Figures are JSON numbers, the API's one convention for decimals (`oap.formats.json_number`).
"""

from __future__ import annotations

from rest_framework import serializers

from reporting.compile import BREAKDOWN_KEYS, HEADLINE_KEYS, HEADLINE_LABELS


def _numbers(keys, *, allow_null=False) -> dict:
    return {
        key: serializers.FloatField(
            allow_null=allow_null, help_text=HEADLINE_LABELS.get(key, key.replace("_", " ").capitalize())
        )
        for key in keys
    }


HeadlineSerializer = type("FactsheetHeadlineSerializer", (serializers.Serializer,), _numbers(HEADLINE_KEYS))
ChangeSerializer = type(
    "FactsheetChangeSerializer",
    (serializers.Serializer,),
    _numbers(HEADLINE_KEYS, allow_null=True),
)


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["eu", "priority"], help_text="EU-wide, or one priority's.")
    code = serializers.CharField(allow_blank=True, help_text="The priority's code (empty when EU-wide).")
    name = serializers.CharField(help_text="The scope's name.")


class PriorityRowSerializer(type("_PriorityCounters", (serializers.Serializer,), _numbers(BREAKDOWN_KEYS))):
    code = serializers.CharField(help_text="The priority's code.")
    number = serializers.IntegerField(help_text="The priority's number in its cycle.")
    name = serializers.CharField(help_text="The priority's name.")
    cycle = serializers.CharField(help_text="The cycle's code.")


class PlanRowSerializer(type("_PlanCounters", (serializers.Serializer,), _numbers(BREAKDOWN_KEYS))):
    code = serializers.CharField(help_text="The plan's code.")
    name = serializers.CharField(help_text="The plan's name.")
    priority = serializers.CharField(help_text="The plan's priority code.")


class ParticipationRowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The organisation's code.")
    name = serializers.CharField(help_text="The organisation's name.")
    kind = serializers.CharField(help_text="The organisation's kind.")
    actions = serializers.IntegerField(help_text="Actions it took part in.")
    led = serializers.IntegerField(help_text="Actions it led.")
    co_led = serializers.IntegerField(help_text="Actions it co-led.")
    entries = serializers.IntegerField(help_text="Validated entries it reported.")
    arrests = serializers.FloatField(help_text="Arrests it reported.")


class CounterRowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The counter's code.")
    name = serializers.CharField(help_text="The counter's name.")
    unit = serializers.CharField(help_text="The counter's unit.")
    category = serializers.CharField(help_text="The counter's category.")
    value = serializers.FloatField(help_text="The year's total.")
    previous = serializers.FloatField(allow_null=True, help_text="The previous year's total, if any.")
    entries = serializers.IntegerField(help_text="Validated entries summed.")


class FiguresSerializer(serializers.Serializer):
    format = serializers.IntegerField(help_text="The figures' format version.")
    year = serializers.IntegerField(help_text="The factsheet's year.")
    previous_year = serializers.IntegerField(help_text="The year compared with.")
    scope = ScopeSerializer(help_text="EU-wide or one priority's.")
    entries = serializers.IntegerField(help_text="Validated entries summed.")
    headline = HeadlineSerializer(help_text="The headline totals.")
    previous = HeadlineSerializer(allow_null=True, help_text="The previous year's headline, if any.")
    change_vs_previous = ChangeSerializer(help_text="(this − previous) / previous; null without one.")
    by_priority = PriorityRowSerializer(many=True, help_text="Totals by priority.")
    by_plan = PlanRowSerializer(many=True, help_text="Totals by plan.")
    participation = ParticipationRowSerializer(many=True, help_text="Organisations taking part.")
    counters = CounterRowSerializer(many=True, help_text="Every counter's total.")
