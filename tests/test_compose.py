"""docker-compose.yml and the Dockerfile, validated without a Docker engine.

The compose file is parsed and its variables interpolated the way Compose does (defaults only,
no .env), then checked for its wiring: services, commands, healthchecks, dependency conditions,
scaling, and that every variable the settings need in production is provided — finally the
settings are loaded with exactly the web service's environment and must pass
``check --deploy --fail-level WARNING``.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
# a value for each variable the compose file requires (${VAR:?...}); everything else: its default
REQUIRED_VALUES = {"SECRET_KEY": "compose-test-" + "k7#Qx9!mZp2@Lw4$" * 4}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[^}]+)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value, environ, required):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$."""

    def substitute(match):
        if match.group(0) == "$$":
            return "$"
        expression = match.group("braced") or match.group("plain")
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", expression).group(0)
        rest = expression[len(name) :]
        if rest.startswith((":?", "?")):
            required.add(name)
            if name not in environ:
                raise KeyError(f"{name} is required by docker-compose.yml")
            return environ[name]
        if rest.startswith(":-"):
            return environ.get(name) or interpolate(rest[2:], environ, required)
        if rest.startswith("-"):
            return environ[name] if name in environ else interpolate(rest[1:], environ, required)
        assert rest == "", f"unsupported interpolation ${{{expression}}}"
        return environ.get(name, "")

    return _VARIABLE.sub(substitute, value)


def resolve(node, environ, required):
    if isinstance(node, str):
        return interpolate(node, environ, required)
    if isinstance(node, list):
        return [resolve(item, environ, required) for item in node]
    if isinstance(node, dict):
        return {key: resolve(value, environ, required) for key, value in node.items()}
    return node


@pytest.fixture(scope="module")
def raw_text():
    return (ROOT / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose(raw_text):
    required = set()
    resolved = resolve(yaml.safe_load(raw_text), REQUIRED_VALUES, required)
    resolved["_required"] = required
    return resolved


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command_text(service):
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def as_bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def test_services_and_volumes(compose, services):
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])


def test_postgres_has_a_volume_and_a_pg_isready_healthcheck(services):
    postgres = services["postgres"]
    assert any(volume.startswith("pgdata:") for volume in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_redis_keeps_an_append_only_file_and_answers_ping(services):
    redis = services["redis"]
    command = command_text(redis)
    assert "--appendonly yes" in command
    assert any(volume.startswith("redisdata:") for volume in redis["volumes"])
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


def test_app_services_share_one_image_built_from_the_dockerfile(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        assert services[name]["build"] == "."


def test_migrate_is_a_one_shot_migrate_and_reference_load(services):
    migrate = services["migrate"]
    command = command_text(migrate)
    assert "manage.py migrate --noinput" in command
    assert "loaddata reference" in command
    assert command.index("migrate --noinput") < command.index("loaddata reference")
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_long_running_services_wait_for_migrate_and_healthy_backends(services, name):
    depends_on = services[name]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_web_is_gunicorn_with_several_workers_and_a_healthz_healthcheck(services):
    web = services["web"]
    command = command_text(web)
    assert command.startswith("gunicorn ")
    assert "empact_tracker/gunicorn.conf.py" in command
    assert "empact_tracker.wsgi:application" in command
    assert int(web["environment"]["WEB_CONCURRENCY"]) > 1
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert any(port.endswith(":8000") for port in web["ports"])


def test_worker_can_be_scaled(services):
    worker = services["worker"]
    assert "celery -A empact_tracker worker" in command_text(worker)
    # --scale worker=3 needs neither a fixed container name nor a fixed host port
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "inspect ping" in " ".join(worker["healthcheck"]["test"])


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_long_running_services_are_restarted_by_the_docker_daemon(services, name):
    """A process that exits or crashes (a worker after a lost broker, say) is started again."""
    assert services[name]["restart"] in {"always", "unless-stopped"}


def test_workers_run_without_gossip_and_mingle(services):
    """Their restart after a lost Redis connection is where Celery/kombu raise AttributeError."""
    command = command_text(services["worker"])
    assert "--without-gossip" in command and "--without-mingle" in command


def test_exactly_one_beat(services):
    beat = services["beat"]
    assert "celery -A empact_tracker beat" in command_text(beat)
    # a fixed container name makes Compose refuse a second beat (--scale beat=2)
    assert beat["container_name"]
    assert "deploy" not in beat or beat["deploy"].get("replicas", 1) == 1
    assert sum("beat" in command_text(service) for service in services.values() if "command" in service) == 1


def test_services_without_http_do_not_inherit_the_image_healthcheck(services):
    for name in ("migrate", "beat"):
        assert services[name]["healthcheck"] == {"disable": True}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_is_production(services, name):
    environment = services[name]["environment"]
    assert not as_bool(environment["DEBUG"])
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["SECRET_KEY"] == REQUIRED_VALUES["SECRET_KEY"]
    assert environment["LOG_FORMAT"] == "json"


def test_secret_key_has_no_default(compose):
    """No shared default secret: Compose refuses to start until SECRET_KEY is set."""
    assert "SECRET_KEY" in compose["_required"]
    with pytest.raises(KeyError, match="SECRET_KEY"):
        resolve(yaml.safe_load((ROOT / "docker-compose.yml").read_text()), {}, set())


def settings_variables():
    """Every environment variable settings.py reads, and whether it has a usable default.

    ``env("X")`` / ``env.bool("X")`` without ``default=``, or with a default that can be
    ``Env.NOTSET`` (required outside DEBUG), counts as required in production.
    """
    tree = ast.parse((ROOT / "empact_tracker" / "settings.py").read_text())
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
        )
        first = node.args[0]
        if not is_env or not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        default = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
        required = default is None or "NOTSET" in ast.dump(default)
        found[first.value] = found.get(first.value, False) or required
    return found


def test_settings_scan_finds_the_known_variables():
    variables = settings_variables()
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= set(variables)
    assert variables["SECRET_KEY"] is True
    assert variables["DEBUG"] is False


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_the_settings_require_is_provided(services, name):
    required = {variable for variable, needed in settings_variables().items() if needed}
    environment = services[name]["environment"]
    missing = {variable for variable in required if not environment.get(variable)}
    assert not missing, f"{name} lacks {sorted(missing)}"
    # and the ones a production deployment must decide are set explicitly
    for variable in ("DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DEBUG"):
        assert variable in environment


def test_every_compose_variable_is_documented_in_env_example(raw_text):
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    used = {
        match.split(":")[0].split("-")[0].split("?")[0] for match in re.findall(r"\$\{([^}]+)\}", raw_text)
    }
    used -= {"HOSTNAME"}
    assert used - documented == set()


def test_settings_load_from_the_web_environment_and_pass_the_deploy_check(services):
    """The web service's environment, and nothing else, gives settings that pass check --deploy."""
    environment = {key: str(value) for key, value in services["web"]["environment"].items()}
    environment.update(PATH=os.environ["PATH"], HOME=os.environ.get("HOME", "/tmp"))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Dockerfile -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile():
    path = ROOT / "Dockerfile"
    assert path.exists()
    # join continuation lines so each instruction is one line
    return re.sub(r"\\\n\s*", " ", path.read_text())


def instructions(dockerfile, keyword):
    return [
        line.split(None, 1)[1] for line in dockerfile.splitlines() if line.upper().startswith(keyword + " ")
    ]


def test_dockerfile_base_dependencies_and_static_files(dockerfile):
    assert instructions(dockerfile, "FROM") == ["python:3.11-slim"]
    runs = " ".join(instructions(dockerfile, "RUN"))
    assert "pip install -r requirements.txt" in runs
    assert "collectstatic --noinput" in runs


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    users = instructions(dockerfile, "USER")
    assert users, "no USER instruction"
    user = users[-1].split(":")[0].strip()
    assert user not in {"root", "0"}
    # the last USER comes before the command
    lines = dockerfile.splitlines()
    last_user = max(i for i, line in enumerate(lines) if line.upper().startswith("USER "))
    command = max(i for i, line in enumerate(lines) if line.upper().startswith(("CMD ", "ENTRYPOINT ")))
    assert last_user < command


def test_dockerfile_healthcheck_and_gunicorn_entry_point(dockerfile):
    healthcheck = instructions(dockerfile, "HEALTHCHECK")
    assert len(healthcheck) == 1
    assert "/healthz" in healthcheck[0]
    assert "urllib.request" in healthcheck[0]
    command = instructions(dockerfile, "CMD")[-1]
    assert '"gunicorn"' in command
    assert "empact_tracker/gunicorn.conf.py" in command


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "db.sqlite3*"} <= set(ignored)
