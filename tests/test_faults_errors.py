"""Which errors mean "a part is away" (503) and which stay errors (500), from real failures."""

from __future__ import annotations

import pytest
import redis
from django.db import DatabaseError, connection, transaction
from django.db.utils import load_backend
from kombu import Connection
from redis.backoff import NoBackoff
from redis.retry import Retry

from empact_tracker import outages
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def caught(call):
    try:
        call()
    except Exception as error:
        return error
    pytest.fail("no error")


def caught_in_transaction(call):
    """The error of `call()` in a savepoint of its own (rolled back by the error leaving it)."""
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        call()
    return info.value


def database_on_a_closed_port():
    """A real connection attempt of Django's PostgreSQL backend to a port nothing listens on."""
    settings = {**connection.settings_dict, "ENGINE": "django.db.backends.postgresql"}
    settings.update(HOST="127.0.0.1", PORT=str(free_port()), NAME="nothing", OPTIONS={"connect_timeout": 2})
    wrapper = load_backend("django.db.backends.postgresql").DatabaseWrapper(settings, alias="away")
    return caught(wrapper.ensure_connection)


def test_unreachable_parts_are_named():
    assert outages.unavailable_part(database_on_a_closed_port()) == "database"
    cache = redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    assert outages.unavailable_part(caught(lambda: cache.get("key"))) == "cache"
    broker = Connection(f"redis://127.0.0.1:{free_port()}/0", transport_options={"max_retries": 0})
    assert outages.unavailable_part(caught(lambda: broker.default_channel)) == "broker"


def test_a_bad_query_is_not_an_outage():
    error = caught_in_transaction(lambda: connection.cursor().execute("SELEC 1"))
    assert outages.unavailable_part(error) is None
    assert outages.unavailable_part(ValueError("a bug")) is None


def test_a_cancelled_statement_is_not_an_outage(on_postgres):
    def slow():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")

    error = caught_in_transaction(slow)
    assert error.__cause__.sqlstate == "57014"  # query_canceled: an OperationalError all the same
    assert outages.unavailable_part(error) is None


class RaiseBeforeTheView:
    """A middleware that fails the way SessionMiddleware does when the database is away."""

    error = None

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RaiseBeforeTheView.error


@pytest.mark.parametrize(("path", "kind"), [("/api/v1/me/", "application/json"), ("/admin/", "text/html")])
def test_an_outage_outside_the_view_is_a_503_too(client, settings, path, kind):
    """handler500 sees what no view's process_exception could: a 503, not Django's 500."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RaiseBeforeTheView"]
    client.raise_request_exception = False
    RaiseBeforeTheView.error = database_on_a_closed_port()
    response = client.get(path)
    assert response.status_code == 503
    assert response["Content-Type"].startswith(kind)
    assert response["Retry-After"] == str(settings.OUTAGE_RETRY_AFTER)

    RaiseBeforeTheView.error = ValueError("a bug")
    assert client.get(path).status_code == 500
