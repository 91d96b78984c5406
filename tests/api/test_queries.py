"""The number of SQL queries a list costs does not depend on its page size (no N+1), and stays small.

Measured against the demo data (so pages are really full), through knox tokens in the header
as partners and national systems call the API: every request authenticates from scratch.
"""

import contextlib
import importlib

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from oap.api.urls import router
from oap.models import User

pytestmark = pytest.mark.django_db

API = "/api/v1"
#: queries a page of 50 may cost, authentication and access checks included
MAX_QUERIES_PER_PAGE = 8


def registry():
    """(prefix, viewset, basename) of every API router: oap's, and reporting's when it is there."""
    rows = list(router.registry)
    with contextlib.suppress(ImportError, AttributeError):  # the factsheet API may not be merged yet
        rows += importlib.import_module("reporting.api.urls").router.registry
    return rows


def list_endpoints():
    """Every router endpoint with a list, so endpoints added later are covered without editing here."""
    endpoints = []
    for prefix, viewset, basename in registry():
        if basename == "factsheet":
            try:
                importlib.import_module(viewset.__module__)
            except ImportError:  # pragma: no cover - the factsheet issue is not merged yet
                continue
        if hasattr(viewset, "list"):
            endpoints.append(prefix)
    return endpoints


def token_client(username):
    _, key = AuthToken.objects.create(user=User.objects.get(username=username))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def measure(client, url):
    """The queries of a request that finds nothing cached (the list, count and permission caches)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:500])
    return len(queries), response.json(), [q["sql"] for q in queries.captured_queries]


def test_every_list_endpoint_is_covered():
    assert {"organisations", "cycles", "priorities", "plans", "actions", "result-types", "results"} <= set(
        list_endpoints()
    )


@pytest.mark.parametrize("username", ["europol.analyst", "co.partner"])
@pytest.mark.parametrize("endpoint", list_endpoints())
def test_query_count_does_not_depend_on_the_page_size(demo_data, username, endpoint):
    client = token_client(username)
    client.get(f"{API}/{endpoint}/?page_size=1")  # warm process-wide caches (content types, ...)
    small, small_body, _ = measure(client, f"{API}/{endpoint}/?page_size=1")
    large, large_body, large_sql = measure(client, f"{API}/{endpoint}/?page_size=100")
    count = len(large_body["results"])
    assert len(small_body["results"]) == min(count, 1)
    if endpoint != "factsheets":  # the demo publishes no factsheet; every other list has rows
        assert count >= 2, f"{endpoint} as {username}: the demo should give more than one row"
    assert small == large, (
        f"{endpoint} as {username}: {small} queries for 1 row, {large} for {len(large_body['results'])}",
        large_sql,
    )


@pytest.mark.parametrize("username", ["europol.analyst", "co.partner", "es.coordinator"])
@pytest.mark.parametrize("endpoint", ["actions", "results"])
def test_a_page_of_50_costs_a_few_queries_with_a_token(demo_data, username, endpoint):
    client = token_client(username)
    client.get(f"{API}/{endpoint}/?page_size=1")
    count, body, sql = measure(client, f"{API}/{endpoint}/?page_size=50")
    assert len(body["results"]) > 1
    assert count <= MAX_QUERIES_PER_PAGE, (count, sql)


def test_filters_and_ordering_do_not_add_queries_per_row(demo_data):
    client = token_client("es.coordinator")
    for url in (
        f"{API}/actions/?ordering=-updated_at&organisation=ES,DE&year=2023&page_size={{}}",
        f"{API}/results/?ordering=value&organisation=ES&status=validated&status=draft&page_size={{}}",
    ):
        client.get(url.format(1))
        small, _, _ = measure(client, url.format(1))
        large, body, sql = measure(client, url.format(100))
        assert len(body["results"]) > 1, url
        assert small == large <= MAX_QUERIES_PER_PAGE, (url, small, large, sql)
