"""Changelist URLs with lookups nobody declared never change the rows a user is shown.

Hypothesis draws query parameters from each registered changelist's model: its fields and its
one-hop relations (forward and reverse, `__pk`, `__id`, `__code`...), with the lookups `exact`,
`in`, `gte`, `lt`, `isnull` and values taken from every row's id — hidden rows' ids above all.
Whatever is drawn, the list either refuses the request, or shows exactly the rows (and counts) it
shows for the same request stripped of the parameters its declared filters, date hierarchy,
search, ordering and pagination do not use — and only rows the access rule lets the user see.
"""

import functools

import pytest
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oap import access
from oap.models import User
from reporting.models import Factsheet

from .crawl import registered_admins

pytestmark = pytest.mark.django_db

ROLES = ("co.partner", "rs.partner", "de.coordinator")
LOOKUPS = ("", "__exact", "__in", "__gte", "__lt", "__isnull")
ONE_HOP_FIELDS = ("pk", "id", "code", "status", "year", "organisation", "action", "plan", "kind", "handling")
ADMINS = registered_admins()


def lookup_paths(model) -> list[tuple[str, type]]:
    """(path, model the path's value points into) for the fields and one-hop relations of `model`."""
    paths = []
    for f in model._meta.get_fields():
        target = getattr(f, "related_model", None)
        if f.is_relation and target is not None:
            name = f.name
            paths.append((name, target))
            field_names = {g.name for g in target._meta.get_fields()}
            paths += [(f"{name}__{hop}", target) for hop in ONE_HOP_FIELDS if hop in field_names | {"pk"}]
        elif not f.is_relation:
            paths.append((f.name, model))
    return paths


@functools.cache  # this module's demo data does not change (every example only reads)
def values_for(model) -> list[str]:
    ids = [str(pk) for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)]
    return [*ids, "0", "-1", "true", "abc", "2023"]


def declared(changelist) -> set[str]:
    names = {SEARCH_VAR, ORDER_VAR, PAGE_VAR, ALL_VAR}
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if changelist.date_hierarchy:
        names.update(f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


def shown(response) -> tuple:
    changelist = response.context["cl"]
    return changelist.result_count, changelist.full_result_count, [row.pk for row in changelist.result_list]


def visible_pks(user, model) -> set:
    rows = model._default_manager.all()
    if model is Factsheet:
        return set(access.restrict(rows, user, "view").values_list("pk", flat=True))
    return set(access.restrict(rows, user).values_list("pk", flat=True))


@st.composite
def hostile_query(draw, model_admin):
    paths = lookup_paths(model_admin.model)
    query = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path, target = draw(st.sampled_from(paths))
        lookup = draw(st.sampled_from(LOOKUPS))
        if lookup == "__isnull":
            value = draw(st.sampled_from(["true", "false", "1", "0"]))
        elif lookup == "__in":
            value = ",".join(draw(st.lists(st.sampled_from(values_for(target)), min_size=1, max_size=3)))
        else:
            value = draw(st.sampled_from(values_for(target)))
        query[path + lookup] = value
    return query


@pytest.mark.parametrize("username", ROLES)
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples in every run and on every database
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_undeclared_lookups_never_change_the_rows_shown(demo_data, client, username, data):
    user = User.objects.get(username=username)
    client.force_login(user)
    model_admin = data.draw(st.sampled_from(ADMINS), label="changelist")
    url = f"/admin/{model_admin.opts.app_label}/{model_admin.opts.model_name}/"
    plain = client.get(url)
    if plain.status_code != 200:  # the role may not list this model at all
        assert client.get(url, data.draw(hostile_query(model_admin))).status_code in (302, 400, 403)
        return
    query = data.draw(hostile_query(model_admin), label="query")
    response = client.get(url, query)
    if response.status_code in (400, 302):  # refused (undeclared lookup, or a bad filter value)
        assert "cl" not in (response.context or {})
        return
    assert response.status_code == 200, (query, response.status_code)
    names = declared(plain.context["cl"])
    kept = {name: value for name, value in query.items() if name in names}
    assert shown(response) == shown(client.get(url, kept)), (query, kept)
    assert set(shown(response)[2]) <= visible_pks(user, model_admin.model)
