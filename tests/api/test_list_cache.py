"""List pages served from the cache under the data version (oap/freshness.py, oap/api/caching.py).

The property that matters: a page from the cache is always the page computed now. Each write
path below (services, ORM saves, `queryset.update()`, raw SQL, many-to-many changes, permission
changes) is followed by a request whose body must equal the page computed with the cache off.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from oap import freshness, services
from oap.choices import EntryStatus
from oap.models import (
    CommonHorizontalStrategicGoal,
    OperationalAction,
    Organisation,
    Participation,
    ResultEntry,
    User,
)

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/actions/?page_size=500"
RESULTS = "/api/v1/results/?page_size=50&ordering=-updated_at"


def client_for(username):
    client = APIClient()
    user = User.objects.get(username=username)
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code in (200, 304), response.content[:300]
    return response


def fresh(client, url):
    """The page computed now: the cache off, and emptied (no count kept from before either)."""
    cache.clear()
    with override_settings(API_LIST_CACHE=False):
        return get(client, url).json()


def test_every_table_the_lists_read_has_the_trigger(on_postgres):
    """Every oap model's table (but history, rollups, import jobs) and its many-to-many tables,
    users, groups and permissions: a write to any of them changes the version."""
    skipped = {"importjob"}
    expected = {"auth_group", "auth_group_permissions", "auth_permission"}
    for model in apps.get_app_config("oap").get_models():
        name = model._meta.model_name
        if name.startswith("historical") or model.__module__ == "oap.rollups" or name in skipped:
            continue
        expected.add(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            expected.add(field.remote_field.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'oap_datastamp_bump'"
        )
        triggered = {row[0] for row in cursor.fetchall()}
    assert expected <= triggered, sorted(expected - triggered)
    assert triggered == set(freshness.TABLES)


def test_a_repeated_page_is_one_query_and_a_304_with_its_etag(demo_data, on_postgres):
    client = client_for("co.partner")
    first = get(client, ACTIONS)
    with CaptureQueriesContext(connection) as queries:
        again = get(client, ACTIONS)
    assert len(queries) == 1, [q["sql"][:120] for q in queries.captured_queries]  # token + version
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private, no-cache" and "Authorization" in again["Vary"]
    with CaptureQueriesContext(connection) as queries:
        not_modified = get(client, ACTIONS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not not_modified.content
    assert len(queries) == 1


def test_reading_does_not_change_the_version(demo_data, on_postgres):
    before = freshness.current()
    client = client_for("europol.analyst")
    get(client, ACTIONS)
    get(client, RESULTS)
    assert freshness.current() == before


def test_users_never_share_pages(demo_data, on_postgres):
    analyst, partner = client_for("europol.analyst"), client_for("co.partner")
    seen_by_analyst = get(analyst, ACTIONS).json()
    seen_by_partner = get(partner, ACTIONS).json()
    assert seen_by_partner["count"] < seen_by_analyst["count"]
    assert seen_by_partner == fresh(partner, ACTIONS)


def _validate_a_submitted_entry():
    entry = ResultEntry.objects.filter(status=EntryStatus.VALIDATED).order_by("pk").first()
    ResultEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.SUBMITTED)
    services.result_validate(entry=entry, by=User.objects.get(username="admin"))


def _raw_sql_value_change():
    entry = ResultEntry.objects.filter(status=EntryStatus.VALIDATED).order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ResultEntry._meta.db_table} SET value = value + 7 WHERE id = %s", [entry.pk])


def _partner_joins_a_hidden_action():
    colombia = Organisation.objects.get(code="CO")
    hidden = OperationalAction.objects.exclude(handling="partners").exclude(
        participations__organisation=colombia
    )
    Participation.objects.create(
        action=hidden.order_by("code").first(), organisation=colombia, role="participant"
    )


def _titles_change():
    OperationalAction.objects.filter(handling="partners").update(title="Renamed by a bulk update")


def _organisation_code_changes():
    Organisation.objects.filter(code="ES").update(code="ESP")


def _chsg_added():
    action = OperationalAction.objects.filter(handling="partners").order_by("code").first()
    action.chsgs.add(*CommonHorizontalStrategicGoal.objects.all())


def _role_loses_the_view_permission():
    for group in Group.objects.all():
        group.permissions.remove(Permission.objects.get(codename="view_operationalaction"))


def _entry_deleted():
    ResultEntry.objects.filter(pk=ResultEntry.objects.order_by("-updated_at").values("pk")[:1]).delete()


def _bulk_recorded():
    coordinator = User.objects.get(username="co.partner")
    action = Participation.objects.filter(organisation__code="CO").order_by("action__code").first().action
    services.results_record_bulk(
        by=coordinator,
        rows=[
            {
                "action": action.code,
                "organisation": "CO",
                "result_type": "arrests",
                "year": 2026,
                "half_year": half,
                "value": "3",
                "comment": "",
            }
            for half in (1, 2)
        ],
    )


WRITES = [
    _validate_a_submitted_entry,
    _raw_sql_value_change,
    _partner_joins_a_hidden_action,
    _titles_change,
    _organisation_code_changes,
    _chsg_added,
    _role_loses_the_view_permission,
    _entry_deleted,
    _bulk_recorded,
]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
@pytest.mark.parametrize("url", [ACTIONS, RESULTS])
def test_after_any_write_the_page_is_the_page_computed_now(demo_data, on_postgres, write, url):
    client = client_for("co.partner")
    before = get(client, url)
    assert before.json() == fresh(client, url)
    version = freshness.current()
    with transaction.atomic():
        write()
    assert freshness.current() != version
    after = get(client, url)
    assert after.json() == fresh(client, url)
    assert after["ETag"] != before["ETag"]


def test_a_page_seen_inside_a_rolled_back_write_is_never_served(demo_data, on_postgres):
    client = client_for("co.partner")
    action = OperationalAction.objects.filter(handling="partners").order_by("code").first()
    version = freshness.current()
    with transaction.atomic():
        OperationalAction.objects.filter(pk=action.pk).update(title="Rolled back")
        assert any(item["title"] == "Rolled back" for item in get(client, ACTIONS).json()["results"])
        transaction.set_rollback(True)
    assert freshness.current() == version
    OperationalAction.objects.filter(pk=action.pk).update(title="Committed")
    titles = {item["title"] for item in get(client, ACTIONS).json()["results"]}
    assert "Committed" in titles and "Rolled back" not in titles


def test_counts_are_exact_at_once(demo_data, on_postgres):
    """Long lists' counts are cached under the version too: exact right after a write."""
    client = client_for("europol.analyst")
    before = get(client, "/api/v1/results/").json()["count"]
    assert before > 1000
    _bulk_recorded()
    assert get(client, "/api/v1/results/").json()["count"] == before + 2


def test_permissions_are_read_once_per_version(demo_data, on_postgres):
    client = client_for("co.partner")
    get(client, ACTIONS)
    with CaptureQueriesContext(connection) as queries:
        get(client, "/api/v1/actions/?page_size=7")  # a page not seen yet: computed, permissions cached
    assert not any("auth_permission" in q["sql"] for q in queries.captured_queries)
    _role_loses_the_view_permission()
    assert get(client, "/api/v1/actions/?page_size=7").json()["count"] == 0


def test_without_postgresql_or_when_off_nothing_is_cached(demo_data):
    with override_settings(API_LIST_CACHE=False):
        client = client_for("co.partner")
        first = get(client, ACTIONS)
        with CaptureQueriesContext(connection) as queries:
            again = get(client, ACTIONS)
        assert again.json() == first.json()
        assert len(queries) > 3
        assert "ETag" not in again
