"""Issue 16: the API as a partner's developer meets it — each point, in process, on the demo data."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from oap.models import IdempotencyKey, ResultEntry, User

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

NEW = {
    "action": "DRUGS-CCH-26 1.1",
    "organisation": "CO",
    "result_type": "victims_identified",
    "year": 2026,
    "half_year": 1,
    "value": 7,
    "comment": "joint action day",
}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def api(username, scheme="Token"):
    client = APIClient()
    _, key = AuthToken.objects.create(user=User.objects.get(username=username))
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


@pytest.fixture(scope="module")
def schema(demo_data):
    client = APIClient()
    client.force_authenticate(User.objects.filter(is_superuser=True).first() or User.objects.first())
    from django.test import Client

    return json.loads(Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# --- 1. bodies -------------------------------------------------------------------------------


def test_request_bodies_are_json_only_and_bulk_items_typed(demo_data, schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert set(operation["requestBody"]["content"]) == {"application/json"}, (path, method)
    form = api("co.partner").post("/api/v1/results/", {"year": "2026"}, format="multipart")
    assert form.status_code == 415
    bulk = schema["paths"]["/api/v1/results/bulk/"]["post"]["requestBody"]["content"]["application/json"]
    name = bulk["schema"]["$ref"].rsplit("/", 1)[1]
    items = schema["components"]["schemas"][name]["properties"]["results"]["items"]
    item = schema["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]
    assert {"action", "organisation", "result_type", "year", "value"} <= set(item["properties"])
    assert item["additionalProperties"] is False


def test_exports_are_documented_with_their_filters_and_binary_answers(demo_data, schema):
    for path in ("/api/v1/actions/export/", "/api/v1/results/export/"):
        operation = schema["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"file", "priority", "plan", "status", "ordering"} <= names, names
        content = operation["responses"]["200"]["content"]
        assert set(content) == {"application/octet-stream", "text/csv", XLSX}
        assert all(body["schema"]["format"] == "binary" for body in content.values())


# --- 2. filters ------------------------------------------------------------------------------


def _codes(client, query):
    response = client.get(f"/api/v1/actions/?page_size=500&{query}")
    assert response.status_code == 200, response.content
    return sorted(row["code"] for row in response.json()["results"])


def test_multi_value_filters_take_repeated_keys_and_commas(demo_data, schema):
    client = api("europol.analyst")
    drugs, thb = _codes(client, "priority=DRUGS"), _codes(client, "priority=THB")
    assert drugs and thb
    both = sorted(drugs + thb)
    assert _codes(client, "priority=DRUGS&priority=THB") == both
    assert _codes(client, "priority=DRUGS,THB") == both
    assert _codes(client, "status=ongoing&status=completed") == _codes(client, "status=ongoing,completed")
    assert _codes(client, "handling=eu,partners") == _codes(client, "handling=eu&handling=partners")
    assert client.get("/api/v1/actions/?status=ongoing,nonsense").status_code == 400
    results = api("co.partner").get("/api/v1/results/?status=draft&status=returned&page_size=500").json()
    assert {row["status"] for row in results["results"]} == {"draft", "returned"}
    for name in ("priority", "plan", "organisation", "status", "handling"):
        parameter = next(
            p for p in schema["paths"]["/api/v1/actions/"]["get"]["parameters"] if p["name"] == name
        )
        assert parameter["style"] == "form" and parameter["explode"] is True, parameter
        assert parameter["schema"]["type"] == "array", parameter
    status = next(
        p for p in schema["paths"]["/api/v1/results/"]["get"]["parameters"] if p["name"] == "status"
    )
    assert set(status["schema"]["items"]["enum"]) == {"draft", "submitted", "validated", "returned"}


# --- 3. one status per situation --------------------------------------------------------------


def test_conflicts_are_409_with_the_existing_entry(demo_data):
    partner = api("co.partner")
    duplicate = {**NEW, "result_type": "arrests", "half_year": 1}
    response = partner.post("/api/v1/results/", duplicate, format="json")
    assert response.status_code == 409, response.content
    existing = response.json()["existing"]
    entry = ResultEntry.objects.get(
        action__code=NEW["action"],
        organisation__code="CO",
        result_type__code="arrests",
        year=2026,
        half_year=1,
    )
    assert existing["id"] == entry.pk and existing["url"].endswith(f"/api/v1/results/{entry.pk}/")
    created = partner.post("/api/v1/results/", NEW, format="json").json()
    assert partner.post(f"/api/v1/results/{created['id']}/submit/").status_code == 200
    assert partner.post(f"/api/v1/results/{created['id']}/submit/").status_code == 409
    hub = api("europol.analyst")
    assert hub.post(f"/api/v1/results/{created['id']}/validate/").status_code == 200
    again = hub.post(f"/api/v1/results/{created['id']}/validate/")
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_a_write_the_role_can_never_make_is_403_before_the_body(demo_data):
    partner = api("co.partner")
    entry = ResultEntry.objects.filter(organisation__code="ES", status="submitted").first()
    # validation is not a coordinator's step of its own figures... nor, here, anyone's of this role
    for body in ({"reason": "x"}, {"garbage": [1, 2]}, "not even an object"):
        response = partner.post("/api/v1/factsheets/", body, format="json")
        assert response.status_code == 403, response.content
    assert entry is not None


def test_oversized_bodies_are_413(demo_data, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api("co.partner").post("/api/v1/results/bulk/", {"results": [NEW] * 50}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_the_schema_documents_every_status(demo_data, schema):
    post = schema["paths"]["/api/v1/results/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "409", "413", "422", "429"} <= set(post)
    assert "Retry-After" in post["429"]["headers"]
    patch = schema["paths"]["/api/v1/results/{id}/"]["patch"]
    assert {"409", "412"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" for p in patch["parameters"])
    assert any(
        p["name"] == "Idempotency-Key" for p in schema["paths"]["/api/v1/results/bulk/"]["post"]["parameters"]
    )


# --- 4. retries and concurrent writers -------------------------------------------------------


def test_idempotency_key_replays_without_a_second_write(demo_data):
    partner = api("co.partner")
    key = str(uuid.uuid4())
    first = partner.post("/api/v1/results/", NEW, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201
    count = ResultEntry.objects.count()
    again = partner.post("/api/v1/results/", NEW, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ResultEntry.objects.count() == count
    other = partner.post("/api/v1/results/", {**NEW, "value": 8}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["errors"]
    # bulk: a retried request answers like the first, not 400 for every row
    rows = {"results": [{**NEW, "half_year": 2, "result_type": "suspects_identified"}]}
    bulk_key = str(uuid.uuid4())
    one = partner.post("/api/v1/results/bulk/", rows, format="json", HTTP_IDEMPOTENCY_KEY=bulk_key)
    two = partner.post("/api/v1/results/bulk/", rows, format="json", HTTP_IDEMPOTENCY_KEY=bulk_key)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    assert IdempotencyKey.objects.filter(key__in=[key, bulk_key]).count() == 2
    # a refused request keeps nothing: the same key may be sent again once the body is right
    bad_key = str(uuid.uuid4())
    assert (
        partner.post(
            "/api/v1/results/", {**NEW, "value": -1}, format="json", HTTP_IDEMPOTENCY_KEY=bad_key
        ).status_code
        == 400
    )
    assert not IdempotencyKey.objects.filter(key=bad_key).exists()


def test_etag_and_if_match(demo_data):
    partner = api("co.partner")
    entry = ResultEntry.objects.filter(organisation__code="CO", status="draft").first()
    url = f"/api/v1/results/{entry.pk}/"
    read = partner.get(url)
    etag = read["ETag"]
    assert etag.startswith('"')
    assert partner.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    changed = partner.patch(url, {"comment": "first system"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    stale = partner.patch(url, {"comment": "second system"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert ResultEntry.objects.get(pk=entry.pk).comment == "first system"
    assert partner.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert partner.delete(url, HTTP_IF_MATCH=changed["ETag"]).status_code == 204


# --- 5. smaller points ------------------------------------------------------------------------


def test_bearer_download_links_404s_root_codes_utc_and_numbers(demo_data):
    partner = api("co.partner", scheme="Bearer")
    me = partner.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "co.partner"
    anonymous = APIClient().get("/reports/factsheets/2023/figures.csv", HTTP_ACCEPT="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert "Bearer" in anonymous["WWW-Authenticate"]
    missing = partner.get("/api/v1/priorities/999999/")
    assert missing.status_code == 404 and "PriorityCrimeArea" not in missing.content.decode()
    root = partner.get("/api/v1/").json()
    assert {"me", "factsheets", "completeness", "periods", "changes", "actions", "results"} <= set(root)
    action = partner.get("/api/v1/actions/DRUGS-CCH-26 1.1/")
    assert action.status_code == 200 and action.json()["code"] == "DRUGS-CCH-26 1.1"
    assert action.json()["updated_at"].endswith("Z")
    result = partner.get("/api/v1/results/?page_size=1").json()["results"][0]
    assert result["updated_at"].endswith("Z") and isinstance(result["value"], (int, float))
    factsheet = partner.get("/api/v1/factsheets/?page_size=1").json()["results"][0]
    assert isinstance(factsheet["figures"]["headline"]["arrests"], (int, float))
    assert me["RateLimit-Limit"] and int(me["RateLimit-Remaining"]) >= 0 and int(me["RateLimit-Reset"]) > 0
