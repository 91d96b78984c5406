"""The shared bases of every ModelAdmin of both apps (oap, reporting): see the rule in oap/admin.py.

- `ScopedModelAdmin`: changelists that take only declared lookups (`DeclaredChangeList`) and
  history pages that are scoped like the change page and read-only for everybody;
- `visible_count`: a column or total counting only rows the user may see.

Which rows a user sees is the admin's `get_queryset` (oap: `OapAdminMixin`, from `oap.access`).
"""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Model, Q
from django.http import Http404, HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin

from . import access


def visible_count(user, path: str, model: type[Model]) -> Count:
    """Count the `model` rows reached through `path` that `user` may see (for a column or total).

    A plain `Count(path)` would count rows the access rule hides from the user: a number that
    tells what a list would not show.
    """
    visible = access.restrict(model._default_manager.all(), user, "view").values("pk")
    return Count(path, filter=Q(**{f"{path}__in": visible}), distinct=True)


class DeclaredChangeList(ChangeList):
    """A changelist that filters only by what its admin declares.

    Django applies every query parameter no list filter consumed as a queryset lookup (one
    relation hop is always allowed), so `?actions__pk=12` on the organisations would tell who
    takes part in action 12, hidden or not. Here such a parameter is refused with 400 before a
    row is read — the same answer for every model. Declared: the `list_filter` parameters, the
    `date_hierarchy` ones, search (`q`), ordering (`o`), pagination (`p`, `all`).
    """

    def get_filters(self, request):
        asked = self.get_filters_params()
        self._check_date_hierarchy(asked)
        specs, has_filters, remaining, may_have_duplicates, has_active = super().get_filters(request)
        undeclared = set(remaining)
        hierarchy = self.date_hierarchy
        if hierarchy and f"{hierarchy}__year" in asked:  # the bounds the date hierarchy set itself
            undeclared -= {f"{hierarchy}__gte", f"{hierarchy}__lt"}
        if undeclared:
            raise DisallowedModelAdminLookup(
                f"This list cannot be filtered by {', '.join(sorted(undeclared))}: "
                "use the filters and the search it offers."
            )
        return specs, has_filters, remaining, may_have_duplicates, has_active

    @property
    def active_filters(self) -> list[dict]:
        """What the list is narrowed by, for the "Filtered by" line: each filter's title, the
        value chosen and the list's address without it (a dashboard link's filter stays visible
        at any width, also where the filter sidebar is out of sight)."""
        found = []
        for spec in self.filter_specs:
            params = spec.expected_parameters()
            if not any(name in self.params for name in params):
                continue
            chosen = [str(choice["display"]) for choice in spec.choices(self) if choice.get("selected")]
            found.append(
                {
                    "title": str(spec.title),
                    "value": ", ".join(chosen) or self.params.get(params[0], ""),
                    "remove": self.get_query_string(remove=params),
                }
            )
        if self.date_hierarchy:
            parts = [
                self.params[f"{self.date_hierarchy}__{p}"]
                for p in ("year", "month", "day")
                if f"{self.date_hierarchy}__{p}" in self.params
            ]
            if parts:
                field = self.opts.get_field(self.date_hierarchy)
                found.append(
                    {
                        "title": str(field.verbose_name),
                        "value": "-".join(parts),
                        "remove": self.get_query_string(remove=[f"{self.date_hierarchy}__"]),
                    }
                )
        return found

    def _check_date_hierarchy(self, asked: dict) -> None:
        """`<date>__year`, `__month`, `__day` are whole numbers making a date, or the list is refused."""
        if not self.date_hierarchy:
            return
        parts = {}
        for part, low, high in (("year", 1, 9998), ("month", 1, 12), ("day", 1, 31)):
            name = f"{self.date_hierarchy}__{part}"
            values = asked.get(name) or []
            if values:
                value = str(values[-1])
                if not value.isdigit() or not low <= int(value) <= high:
                    raise IncorrectLookupParameters(f"{name} must be a whole number from {low} to {high}.")
                parts[part] = int(value)
        if "year" in parts:
            try:
                datetime.date(parts["year"], parts.get("month", 1), parts.get("day", 1))
            except ValueError as error:
                raise IncorrectLookupParameters(f"No such date: {error}.") from error


class DeclaredLookupsMixin:
    def get_changelist(self, request, **kwargs):
        return DeclaredChangeList


class ScopedModelAdmin(DeclaredLookupsMixin, SimpleHistoryAdmin):
    """Base of every ModelAdmin of both apps: declared changelist lookups, read-only history pages.

    The history pages of django-simple-history would save a POSTed past version with no change
    permission check (`history_form_view` calls `save_model`); SIMPLE_HISTORY_REVERT_DISABLED
    only hides the button. Here they are scoped like the change page (a hidden object answers
    like a missing id: 404), a past version is shown with every field read-only, and anything
    but GET is refused with 405: nothing is reverted through the admin.
    """

    list_per_page = 50

    @property
    def _tracked(self) -> bool:
        """Whether the model keeps an audit history (django-simple-history); else Django's log."""
        return hasattr(self.opts, "simple_history_manager_attribute")

    def get_urls(self):
        if self._tracked:
            return super().get_urls()
        return admin.ModelAdmin.get_urls(self)  # no past versions to show

    def _require_visible(self, request, object_id) -> None:
        if self.get_object(request, unquote(object_id)) is None:  # scoped, and safe for bad ids
            raise Http404(f"{self.opts.verbose_name.capitalize()} not found.")

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        if not self._tracked:
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_visible(request, object_id)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"], "History pages are read-only.")
        if not str(version_id).isdigit():
            raise Http404("No such version.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        form = context.get("adminform")
        if form is not None:  # a past version: every field read-only, no save or revert button
            fieldsets = list(form.fieldsets)
            context["adminform"] = helpers.AdminForm(
                form.form, fieldsets, {}, readonly_fields=flatten_fieldsets(fieldsets), model_admin=self
            )
            context.update(has_change_permission=False, change_history=False, revert_disabled=True)
        return super().render_history_view(request, template, context, **kwargs)

    def revert_disabled(self, request, obj=None):
        return True
