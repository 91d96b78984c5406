"""What makes the admin's lists readable: short columns with their full text on hover, the
filters a link applied named above the list, and the filters the dashboard and action pages use.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .. import access
from ..models import OperationalAction, Organisation, Participation, PriorityCrimeArea


def truncated(text, length: int = 48):
    """`text` cut to `length` characters in the list, the whole of it in the cell's tooltip."""
    text = str(text or "")
    short = Truncator(text).chars(length)
    if short == text:
        return text
    return format_html('<span title="{}">{}</span>', text, short)


def with_title(short, full):
    """A short label (a code) whose full name shows on hover."""
    return format_html('<span title="{}">{}</span>', full, short) if full else short


def years(start, end) -> str:
    """`2024–2025`, `2024`, or `—`."""
    first = start.year if start else None
    last = end.year if end else None
    if first is None and last is None:
        return "—"
    if first == last or last is None:
        return str(first)
    if first is None:
        return f"… {last}"
    return f"{first}–{last}"


class ActionCodeFilter(admin.SimpleListFilter):
    """The results of one operational action, by its code (the action page and the grid link here).

    It offers no list of its own (there are hundreds of actions): it shows, and lets one clear,
    the action a link asked for.
    """

    title = _("operational action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action__code=self.value())
        return queryset


class PriorityListFilter(admin.RelatedFieldListFilter):
    """A priority filter whose labels ("Name (2022-2025)") come from one query, not one per priority."""

    def field_choices(self, field, request, model_admin):
        priorities = PriorityCrimeArea.objects.select_related("cycle")
        return [(priority.pk, str(priority)) for priority in priorities]


class TakingPartFilter(admin.SimpleListFilter):
    """Actions an organisation takes part in (any role), by its code (the dashboard links here).

    Offered: the organisations taking part in actions the user may see.
    """

    title = _("organisation taking part")
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        visible = access.restrict(OperationalAction.objects.all(), request.user, "view").values("pk")
        organisations = Organisation.objects.filter(participations__action__in=visible).distinct()
        return [(organisation.code, str(organisation)) for organisation in organisations.order_by("name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        taking_part = Participation.objects.filter(organisation__code=self.value()).values("action_id")
        return queryset.filter(pk__in=taking_part)


# --- Reference data -----------------------------------------------------------------------
