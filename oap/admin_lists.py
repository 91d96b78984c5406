"""What makes the admin's lists readable: short columns with their full text on hover, the
filters a link applied named above the list, and the filters the dashboard and action pages use.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _


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
