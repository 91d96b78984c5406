"""The coordinators' admin: every oap model, scoped by the access rule, writes through services.

Every ModelAdmin and inline inherits from `OapAdminMixin`, the one place where querysets,
object permissions, foreign-key choices, autocompletes and history pages ask `oap.access`.
Changelists cost a constant number of queries, and every total counts visible rows only.

## Adding an admin view (the rule)

Every page the admin serves obeys `oap/access.py` and nothing else; the bases (`oap/admin/base.py`:
`ScopedModelAdmin`, `OapAdminMixin`) make that the default, and `tests/admin/test_crawler.py` checks every URL of every registered admin, as
every demo role, against a hidden, a view-only and a changeable row. A new view must:

- **inherit the bases**: a ModelAdmin of either app derives from `ScopedModelAdmin` (oap models:
  `OapModelAdmin`; with the history pages of django-simple-history), an inline from
  `OapTabularInline`. They give
  - querysets narrowed by `restrict_queryset` (`access.restrict`, or the model's own rule such
    as `reporting.access.factsheet_scope`), used by changelists, object pages, inlines, "related only"
    filters and autocompletes;
  - object permissions from `user.has_perm(perm, obj)`, which the access backend answers;
  - changelists that take only the parameters the admin declares (`list_filter`,
    `date_hierarchy`, search, ordering, pagination): any other lookup in the URL is refused
    with 400, the same for every model, before a row is read (`DeclaredChangeList`);
  - history pages that are read-only for everybody: the list and each past version are shown
    to those who may see the object (a hidden object answers like a missing id: 404), a past
    version is rendered with every field read-only, and anything but GET gets 405. Nothing is
    ever reverted from the admin: a correction is a normal edit through the services.
- **find its object through the scoped queryset**: `self.get_object(request, unquote(id))`
  (never `Model.objects.get`); when it returns None answer exactly as for a missing id
  (`self._get_obj_does_not_exist_redirect(...)` for pages, `Http404` for files and JSON), so
  that a hidden row and a missing id cannot be told apart.
- **check the write before doing it** with the access rule (`has_*_permission(request, obj)`,
  `access.can`) and **write only through a service** (`oap.services`, `reporting.services`):
  `save_model`, `delete_model`, `delete_queryset` and list actions call the service, which
  checks again and raises `Hidden`, `PermissionDenied`, `Frozen` or `ValidationError`; the
  view turns them into 404-like, 403, 409 and 400 answers, never a 500. (Actions and
  participations go through `oap.services.actions` — the one leader rule and the plan's cycle;
  reference data, which only the hub edits, is saved by its ModelAdmin.)
- **count only visible rows**: a column or panel total is `visible_count(...)` (or a count of
  a restricted queryset), never a plain `Count` over a relation.
- **export through `oap.export`** from the changelist's own queryset
  (`ExportAdminMixin.export_view`), so an export holds exactly the rows the list shows.
- be reachable from `get_urls()` of its ModelAdmin (wrapped in `admin_site.admin_view`): the
  crawler finds it there and tries it as every role without being told.
"""

from __future__ import annotations

from . import actions, imports, reference, results, users, years  # noqa: F401  (each registers its admins)
