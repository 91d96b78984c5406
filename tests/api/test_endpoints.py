"""Every endpoint × role, from the access matrix: anonymous 401, not allowed 403, hidden 404, allowed 2xx."""

from decimal import Decimal

import pytest
import yaml
from django.db import transaction
from rest_framework.test import APIClient

from oap.choices import EntryStatus
from tests import factories as f
from tests.access_matrix import EXPECTED, LEVELS, ROLES

pytestmark = pytest.mark.django_db

API = "/api/v1"
DETAIL = {"action": "actions", "plan": "plans", "result": "results"}


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def rolled_back(call):
    """Run a write and undo it, so every cell of the matrix starts from the same data."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


def test_anonymous_gets_401_everywhere(client, world):
    rows, _ = world
    entry = rows["eu"][("result", "tc_returned")]
    urls = [
        f"{API}/{name}/"
        for name in (
            "organisations",
            "cycles",
            "priorities",
            "plans",
            "actions",
            "result-types",
            "results",
            "me",
        )
    ]
    urls += [f"{API}/actions/{rows['eu'][('action', 'action')].pk}/", f"{API}/results/{entry.pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Token")  # and Bearer (issue 16)
    for url in (f"{API}/results/", f"{API}/results/bulk/", f"{API}/results/{entry.pk}/submit/"):
        assert client.post(url, {}, content_type="application/json").status_code == 401


def test_view_matrix_through_detail_and_list_endpoints(world):
    rows, users = world
    unexpected = []
    for role in ROLES:
        client = client_for(users[role])
        listed = {
            name: {item["id"] for item in client.get(f"{API}/{path}/", {"page_size": 500}).json()["results"]}
            for name, path in DETAIL.items()
        }
        for (model, row), table in EXPECTED.items():
            if model not in DETAIL:
                continue
            for level in LEVELS:
                obj = rows[level][(model, row)]
                expected = table["view"][role][level]
                status = client.get(f"{API}/{DETAIL[model]}/{obj.pk}/").status_code
                if status != (200 if expected else 404):
                    unexpected.append(f"{role} GET {model}:{row} [{level}] → {status}")
                if (obj.pk in listed[model]) != expected:
                    unexpected.append(f"{role} list {model}:{row} [{level}] listed={obj.pk in listed[model]}")
    assert unexpected == []


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_change_and_delete_matrix_on_results(world, method):
    rows, users = world
    unexpected = []
    for role in ROLES:
        client = client_for(users[role])
        for (model, row), table in EXPECTED.items():
            if model != "result":
                continue
            op = "change" if method == "patch" else "delete"
            for level in LEVELS:
                entry = rows[level][(model, row)]
                url = f"{API}/results/{entry.pk}/"
                if method == "patch":
                    status = rolled_back(lambda u=url, c=client: c.patch(u, {"value": "1"}, format="json"))
                else:
                    status = rolled_back(lambda u=url, c=client: c.delete(u))
                status = status.status_code
                if table[op][role][level]:
                    allowed = {200, 204}
                elif not table["view"][role][level]:
                    allowed = {404}
                else:
                    allowed = {403, 409}  # visible: not yours (403) or no longer open (409)
                if status not in allowed:
                    unexpected.append(
                        f"{role} {method} {row} [{level}] → {status}, expected {sorted(allowed)}"
                    )
    assert unexpected == []


# who may validate a submitted entry of the third-country participant, by handling level
VALIDATE = {
    "superuser": {"participants": 200, "eu": 200, "partners": 200},
    "hub_analyst": {"participants": 200, "eu": 200, "partners": 200},
    "driver_ms": {"participants": 200, "eu": 200, "partners": 200},
    # a figure not yet validated is seen only by its organisation, its reviewers and the hub:
    # for everybody else it does not exist
    "uninvolved_ms": {"participants": 404, "eu": 404, "partners": 404},
    "agency": {"participants": 404, "eu": 404, "partners": 404},
    "tc_participant": {"participants": 403, "eu": 403, "partners": 403},  # its own: four eyes
    "tc_outsider": {"participants": 404, "eu": 404, "partners": 404},
}


def test_validate_and_return_by_role(world):
    rows, users = world
    submitted = {}
    for level in LEVELS:
        returned = rows[level][("result", "tc_returned")]
        submitted[level] = f.ResultEntryFactory(
            action=returned.action,
            organisation=returned.organisation,
            result_type=returned.result_type,
            year=2024,
            status=EntryStatus.SUBMITTED,
            value=Decimal(3),
        )
    unexpected = []
    for role, by_level in VALIDATE.items():
        client = client_for(users[role])
        for level, expected in by_level.items():
            url = f"{API}/results/{submitted[level].pk}"
            got = rolled_back(lambda u=url, c=client: c.post(f"{u}/validate/")).status_code
            back = rolled_back(
                lambda u=url, c=client: c.post(f"{u}/return/", {"reason": "check"}, format="json")
            )
            if got != expected or back.status_code != expected:
                unexpected.append(
                    f"{role} [{level}] validate {got} return {back.status_code}, expected {expected}"
                )
    assert unexpected == []


def test_partner_records_and_submits_its_own_results(world):
    rows, users = world
    client = client_for(users["tc_participant"])
    action = rows["partners"][("action", "action")]
    body = {
        "action": action.code,
        "organisation": "CO",
        "result_type": "arrests",
        "year": 2024,
        "value": "12",
    }
    created = client.post(f"{API}/results/", body, format="json")
    assert created.status_code == 201, created.json()
    entry = created.json()
    assert (entry["status"], entry["value"], entry["organisation"]) == (
        "draft",
        12,
        "CO",
    )  # figures are JSON numbers (issue 16)
    submitted = client.post(f"{API}/results/{entry['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert client.get(f"{API}/results/{entry['id']}/").json()["status"] == "submitted"
    # the leader's organisation (LD) is another organisation: refused, naming the field
    refused = client.post(f"{API}/results/", {**body, "organisation": "LD"}, format="json")
    assert refused.status_code == 403
    assert "organisation" in refused.json()["errors"]
    # an action the partner cannot see does not exist for it
    outsider = client_for(users["tc_outsider"])
    hidden = rows["participants"][("action", "action")]
    response = outsider.post(
        f"{API}/results/", {**body, "action": hidden.code, "organisation": "RS"}, format="json"
    )
    assert response.status_code == 400 and "action" in response.json()["errors"]


def test_action_representation(world):
    rows, users = world
    action = rows["eu"][("action", "action")]
    data = client_for(users["driver_ms"]).get(f"{API}/actions/{action.pk}/").json()
    for key in ("id", "code", "title", "plan", "priority", "status", "handling", "start", "end", "leader"):
        assert key in data
    assert data["leader"] == "LD"
    assert {"organisation": "CO", "role": "participant"} in data["participants"]
    # totals count the validated entries the caller may see: the validated 2023 entry of CO
    assert data["totals"] == {"2023": {"arrests": 5}}  # JSON numbers


def test_me_says_who_i_am_and_what_i_may_do(world):
    _, users = world
    me = client_for(users["tc_participant"]).get(f"{API}/me/").json()
    assert me["organisation"]["code"] == "CO" and me["role"] == "coordinator"
    assert me["may"]["record_results"] and not me["may"]["lock_years"]
    hub = client_for(users["hub_analyst"]).get(f"{API}/me/").json()
    assert hub["sees_everything"] and hub["may"]["lock_years"] and not hub["may"]["record_results"]


def test_schema_documents_every_operation_filters_and_errors(client, world):
    schema = yaml.safe_load(client.get(f"{API}/schema/").content)
    paths = schema["paths"]
    for name in (
        "organisations",
        "cycles",
        "priorities",
        "plans",
        "actions",
        "result-types",
        "results",
        "me",
    ):
        assert f"{API}/{name}/" in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "429"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
    action_filters = {p["name"] for p in paths[f"{API}/actions/"]["get"]["parameters"]}
    assert {
        "cycle",
        "priority",
        "plan",
        "status",
        "handling",
        "organisation",
        "leader",
        "year",
        "updated_since",
        "q",
        "ordering",
        "cursor",
        "page_size",
        "count",
    } <= action_filters
    result_filters = {p["name"] for p in paths[f"{API}/results/"]["get"]["parameters"]}
    assert {"year", "result_type", "organisation", "status", "updated_since", "q"} <= result_filters


def test_swagger_ui_works_offline(client):
    page = client.get(f"{API}/docs/").content.decode()
    assert "swagger-ui" in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn." not in page and "unpkg" not in page


def test_lists_are_paginated_in_a_stable_order(world):
    _, users = world
    client = client_for(users["superuser"])
    seen = []
    page = client.get(f"{API}/results/", {"page_size": 2, "ordering": "year", "count": "true"}).json()
    total = page["count"]
    while True:
        seen += [item["id"] for item in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert len(seen) == len(set(seen)) == total  # every row once, none twice
    for size in (0, 501, "x"):
        response = client.get(f"{API}/actions/", {"page_size": size})
        assert response.status_code == 400 and "page_size" in response.json()["errors"]
