"""Issue 16: the throttle counts exactly under parallel clients; the changes feed never skips a change
that commits late (PostgreSQL: a transaction still writing holds the feed back)."""

from __future__ import annotations

import threading

import pytest
import requests
from django.db import connections
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.limits import LIMIT
from tests.factories import OrganisationFactory, UserFactory

#: committed data for the live server; the migrations' rows (role groups) restored after the test
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CLIENTS, EACH = 24, 8


def test_the_throttle_counts_exactly_across_parallel_clients(live_server, transactional_db, limited):
    user = UserFactory(organisation=OrganisationFactory())
    key = AuthToken.objects.create(user=user)[1]
    statuses: list[int] = []
    lock = threading.Lock()

    def client():
        with requests.Session() as session:
            for _ in range(EACH):
                response = session.get(
                    f"{live_server.url}/api/v1/me/", headers={"Authorization": f"Bearer {key}"}
                )
                with lock:
                    statuses.append(response.status_code)
                if response.status_code == 429:
                    assert int(response.headers["Retry-After"]) > 0
                    assert response.headers["RateLimit-Remaining"] == "0"

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    print(f"\n{CLIENTS} clients × {EACH}: {statuses.count(200)} let through, {statuses.count(429)} refused")
    assert statuses.count(200) == LIMIT and statuses.count(429) == CLIENTS * EACH - LIMIT


def test_the_changes_feed_waits_for_a_transaction_still_writing(on_postgres, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    from oap.models import OperationalAction
    from tests.factories import ActionFactory

    hub = UserFactory(is_superuser=True, organisation=OrganisationFactory(is_hub=True))
    client = APIClient()
    client.force_authenticate(hub)
    cursor = client.get("/api/v1/changes/?since=now").json()["cursor"]
    other = connections.create_connection("default")  # a second session, as another worker
    try:
        other.set_autocommit(False)
        with other.cursor() as sql:
            sql.execute("SELECT txid_current()")  # it is writing: it holds an xid from now on
        early = ActionFactory()  # committed after the other one began
        page = client.get(f"/api/v1/changes/?since={cursor}").json()
        assert page["results"] == [], page  # held back: the other transaction may still commit before it
        other.rollback()
        page = client.get(f"/api/v1/changes/?since={cursor}").json()
        assert ("action", early.pk, "created") in [(i["type"], i["id"], i["change"]) for i in page["results"]]
        assert OperationalAction.objects.filter(pk=early.pk).exists()
    finally:
        other.close()
