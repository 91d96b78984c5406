"""docker-compose.yml is validated without a Docker engine: parsed and checked for its wiring."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_services_and_wiring():
    compose = load()
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker"} <= set(services)
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for name in ("web", "worker"):
        service = services[name]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "celery -A empact_tracker worker" in services["worker"]["command"]
    assert "migrate" in services["web"]["command"]
    assert "pgdata" in compose["volumes"]
