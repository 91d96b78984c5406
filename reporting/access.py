"""Who reads, compiles and publishes factsheets — built on the primitives of `oap.access`.

Factsheets are aggregates. Published ones are readable by every signed-in user; open versions
(draft, compiling, compiled, failed) by analysts (the role holding `reporting.compile_factsheet`),
the hub and superusers, who also request compiles. Publishing locks the year's entries, so it is
for those who may lock years. Exports of entries never come from a factsheet: they are the
requester's visible rows (`ResultEntry.objects.visible_to`).

`factsheet_scope` is registered with `oap.access` (apps.py), so `Factsheet.objects.visible_to`,
`access.can` and `user.has_perm("reporting.view_factsheet", factsheet)` give one answer.
"""

from __future__ import annotations

from django.db.models import Q

from oap import access

from .choices import FactsheetStatus


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_read_drafts(user) -> bool:
    return _active(user) and (access.sees_everything(user) or user.has_perm("reporting.compile_factsheet"))


def can_compile(user) -> bool:
    return can_read_drafts(user)


def can_publish(user) -> bool:
    return _active(user) and access.can_manage_years(user)


def factsheet_scope(user, action: str) -> Q:
    """The factsheets `user` may `action`: read published ones, or every one when they compile."""
    if not _active(user):
        return access.NOTHING
    if action == "view":
        return access.EVERYTHING if can_read_drafts(user) else Q(status=FactsheetStatus.PUBLISHED)
    # versions change through the services only; superusers may delete an unpublished one
    if action == "delete" and user.is_superuser:
        return ~Q(status=FactsheetStatus.PUBLISHED)
    return access.NOTHING
