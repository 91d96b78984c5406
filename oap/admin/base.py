"""The shared bases of every ModelAdmin of both apps (oap, reporting): see the rule in oap/admin.py.

- `ScopedModelAdmin`: changelists that take only declared lookups (`DeclaredChangeList`) and
  history pages that are scoped like the change page and read-only for everybody;
- `visible_count`: a column or total counting only rows the user may see.

Which rows a user sees is the admin's `get_queryset` (oap: `OapAdminMixin`, from `oap.access`).
"""

from __future__ import annotations

import datetime

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .. import access
from ..models import OperationalAction


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


def _is_autocomplete(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name == "autocomplete")


class OapAdminMixin(DeclaredLookupsMixin):
    """Where the admin asks the access rule (oap/access.py) — and nowhere else.

    - `get_queryset` feeds changelists, change/delete/history views, inlines, "related only"
      list filters and the autocomplete endpoint (which asks the target model's admin): rows
      the user may see.
    - `has_view/change/delete_permission(request, obj)` ask `user.has_perm(perm, obj)`, which
      the access backend answers from the same Q objects.
    - `restrict_choices` narrows what a relation field may point to — in selects and in the
      autocompletes serving that field.
    """

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Rows of this admin's model the request's user may see."""
        return access.restrict(queryset, request.user, "view")

    def restrict_choices(self, request: HttpRequest, db_field, queryset: QuerySet) -> QuerySet:
        """Rows a relation field may point to: by default, those the user may see."""
        return access.restrict(queryset, request.user, "view")

    def get_queryset(self, request):
        return self.restrict_queryset(request, super().get_queryset(request))

    def _object_permission(self, request, action: str, obj) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}", obj)

    def has_view_permission(self, request, obj=None):
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return super().has_view_permission(request, obj)
        return self._object_permission(request, "view", obj) or self._object_permission(
            request, "change", obj
        )

    def has_change_permission(self, request, obj=None):
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return super().has_change_permission(request, obj)
        return self._object_permission(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return super().has_delete_permission(request, obj)
        return self._object_permission(request, "delete", obj)

    def get_search_results(self, request, queryset, search_term):
        """Autocompletes offer only what the source field may point to for this user."""
        if _is_autocomplete(request):
            try:
                source_model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
                source_field = source_model._meta.get_field(request.GET["field_name"])
            except (KeyError, LookupError, FieldDoesNotExist):
                return queryset.none(), False
            source_admin = self.admin_site._registry.get(source_model)
            if isinstance(source_admin, OapAdminMixin):
                queryset = source_admin.restrict_choices(request, source_field, queryset)
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = self.restrict_choices(request, db_field, queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and db_field.remote_field.through._meta.auto_created:
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = self.restrict_choices(request, db_field, queryset)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OapModelAdmin(OapAdminMixin, ScopedModelAdmin):
    """Base of every oap ModelAdmin: scoped, with its (read-only) audit history one click away."""


class OapTabularInline(OapAdminMixin, admin.TabularInline):
    """Base of every oap inline."""


class VisibleActionCountMixin:
    """An "actions" column counting only the actions the user may see (a count never leaks)."""

    action_count_path = "actions"  # from this admin's model to OperationalAction

    def get_queryset(self, request):
        count = visible_count(request.user, self.action_count_path, OperationalAction)
        return super().get_queryset(request).annotate(_action_count=count)

    @admin.display(description=_("actions"), ordering="_action_count")
    def action_count(self, obj) -> int:
        return obj._action_count
