"""deploy/compose.yaml and the files it mounts agree with the bot, the README and each other.

There is no Docker daemon where these tests run, so they read the files: the
services and their images and health checks, every setting the bot replicas
receive (a name ``Settings`` knows, documented in the README, and a value it
accepts), and the load balancer's rules, evaluated for the paths that matter.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import SecretStr

from adapters.slack.part import EVENTS_PATH
from adapters.telegram.part import DRAIN_TIMEOUT
from adapters.telegram.webhook import webhook_path
from bot.__main__ import _parser
from bot.config import Settings
from bot.sandbox import DEFAULT_KEY, DEFAULT_SECRET

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
README = (ROOT / "README.md").read_text()
SETTINGS = {name.upper(): info for name, info in Settings.model_fields.items()}


def env_file(name: str) -> dict[str, str]:
    """``NAME=value`` lines of a file under deploy/ (``bot.env`` is read from its committed example)."""
    path = DEPLOY / (name + ".example" if name in ("bot.env", "postgres.env") else name)
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"{path.name}: not NAME=value: {line!r}"
        assert key not in values, f"{path.name}: {key} twice"
        values[key] = value
    return values


def env_file_names(service: dict[str, Any]) -> list[str]:
    """The env files of a service, with ``${VAR:-default}`` read as both the default and trial.env."""
    names = []
    for entry in service.get("env_file", []):
        path = entry["path"] if isinstance(entry, dict) else entry
        match = re.fullmatch(r"\$\{[A-Z_]+:-([^}]+)\}", path)
        names += [match.group(1), "trial.env"] if match else [path]
    return list(dict.fromkeys(names))


def bot_environment(*, trial: bool = False) -> dict[str, str]:
    """What a bot replica receives: the env files in order, then ``environment`` (which wins)."""
    merged: dict[str, str] = {}
    for name in env_file_names(SERVICES["bot"]):
        if name != "trial.env" or trial:
            merged.update(env_file(name))
    merged.update({k: str(v) for k, v in SERVICES["bot"]["environment"].items()})
    return merged


def seconds(value: str) -> float:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", value)
    assert match and value, f"not a compose duration: {value!r}"
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def health_test(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL"), test
    return " ".join(test[1:])


# ---------------------------------------------------------------------------- services and images


def test_services_and_their_images() -> None:
    assert {"postgres", "redis", "bot", "lb", "zadarma-emulator"} <= set(SERVICES)
    pinned = {"postgres": "postgres:", "redis": "redis:", "lb": "haproxy:", "prometheus": "prom/prometheus:"}
    for name, prefix in pinned.items():
        image = SERVICES[name]["image"]
        assert image.startswith(prefix), f"{name} uses {image}"
        assert re.search(r":v?\d", image), f"{name}: pin a version, not {image}"
    bot = SERVICES["bot"]
    build = bot["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
    assert bot["command"] == ["run"]
    emulator = SERVICES["zadarma-emulator"]
    assert emulator["image"] == bot["image"] and emulator["build"] == build
    assert emulator["profiles"] == ["trial"]


def test_two_bot_replicas_and_a_drain_long_enough() -> None:
    bot = SERVICES["bot"]
    assert bot["deploy"]["replicas"] == 2
    assert "container_name" not in bot, "a fixed container name forbids --scale"
    assert "ports" not in bot, "replicas are reached through the load balancer only"
    assert bot.get("stop_signal", "SIGTERM") == "SIGTERM"
    backend = haproxy().section("backend", "bots")
    removal = backend.default_server("inter") * backend.default_server("fall")
    # The load balancer must see the 503 and in-flight updates must finish before SIGKILL.
    drain = Settings.model_fields["drain_seconds"].default
    assert seconds(bot["stop_grace_period"]) >= max(removal, drain) + DRAIN_TIMEOUT + 5


def test_health_checks() -> None:
    assert "pg_isready" in health_test("postgres")
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    port = bot_environment()["HTTP_PORT"]
    assert f"http://127.0.0.1:{port}/healthz" in health_test("bot")
    assert ".status == 200" in health_test("bot")
    lb_health = haproxy().section("frontend", "lb_health")
    assert f"http://{lb_health.values('bind')[0]}{lb_health.values('monitor-uri')[0]}" in health_test("lb")
    emulator_port = SERVICES["zadarma-emulator"]["command"][
        SERVICES["zadarma-emulator"]["command"].index("--port") + 1
    ]
    assert f"http://127.0.0.1:{emulator_port}/_sandbox/" in health_test("zadarma-emulator")
    for service in SERVICES.values():
        assert "healthcheck" in service


def test_bots_start_after_healthy_storage_and_the_lb_after_healthy_bots() -> None:
    needs = SERVICES["bot"]["depends_on"]
    for name in ("postgres", "redis"):
        assert needs[name] == {"condition": "service_healthy"}
    emulator = needs["zadarma-emulator"]
    assert emulator["condition"] == "service_healthy" and emulator["required"] is False
    assert SERVICES["lb"]["depends_on"]["bot"] == {"condition": "service_healthy"}


def test_only_the_load_balancer_is_public() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            if name != "lb":
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
    [published] = SERVICES["lb"]["ports"]
    inside = int(str(published).rsplit(":", 1)[1])
    [bind] = haproxy().section("frontend", "public").values("bind")
    assert bind.endswith(f":{inside}")


# ---------------------------------------------------------------------------- settings of the replicas


@pytest.mark.parametrize("trial", [False, True], ids=["live", "trial"])
def test_every_bot_variable_is_a_documented_setting_with_a_valid_value(trial: bool) -> None:
    env = bot_environment(trial=trial)
    assert {"DATABASE_URL", "REDIS_URL", "ZADARMA_KEY", "ZADARMA_SECRET", "TELEGRAM_BOT_TOKEN"} <= set(env)
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "STATE_ENCRYPTION_KEY"} <= set(env)
    for name in env:
        assert name in SETTINGS, f"{name} is not a setting the bot reads"
        assert f"`{name}`" in README, f"{name} is not in the README's table"
    settings = Settings.model_validate({k.lower(): v for k, v in env.items()})
    assert settings.database_url.startswith("postgresql://")
    assert urlsplit(settings.database_url).hostname == "postgres"
    assert urlsplit(settings.redis_url.get_secret_value()).hostname == "redis"
    assert settings.zadarma_rate_limit == 100
    assert webhook_path(settings.telegram_webhook_url) in haproxy().section("frontend", "public").acl_paths()


def test_the_trial_points_the_bots_at_the_emulator_with_its_credentials() -> None:
    env = bot_environment(trial=True)
    command = SERVICES["zadarma-emulator"]["command"]
    args = _parser().parse_args(command)  # the CLI accepts exactly this command
    assert args.command == "sandbox" and args.key is None and args.secret is None
    assert env["ZADARMA_API_URL"] == f"http://zadarma-emulator:{args.port}"
    assert (env["ZADARMA_KEY"], env["ZADARMA_SECRET"]) == (DEFAULT_KEY, DEFAULT_SECRET)
    assert bot_environment()["ZADARMA_KEY"] == "", "the live example must not carry the emulator's key"


def test_no_secret_values_in_the_compose_file() -> None:
    secret_names = {name for name, info in SETTINGS.items() if info.annotation is SecretStr}
    assert {"ZADARMA_SECRET", "TELEGRAM_BOT_TOKEN", "REDIS_URL"} <= secret_names
    for name, service in SERVICES.items():
        for key, value in dict(service.get("environment", {})).items():
            if key == "REDIS_URL":
                assert urlsplit(str(value)).password is None, "a Redis password belongs in an env file"
            else:
                assert key not in secret_names, f"{name}: {key} belongs in an env file"
            assert "PASSWORD" not in key, f"{name}: {key} belongs in an env file"
    assert env_file_names(SERVICES["postgres"]) == ["postgres.env"]
    postgres = env_file("postgres.env")
    database = urlsplit(env_file("bot.env")["DATABASE_URL"])
    assert (database.username, database.password, database.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "deploy/bot.env" in ignored and "deploy/postgres.env" in ignored


def test_prometheus_scrapes_every_replica_directly() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    [discovery] = job["dns_sd_configs"]
    assert discovery["names"] == ["bot"] and discovery["type"] == "A"
    assert str(discovery["port"]) == bot_environment()["HTTP_PORT"]


def test_readme_tells_how_to_run_it() -> None:
    for needed in ("docker compose -f deploy/compose.yaml", "--scale bot=", "deploy/bot.env.example"):
        assert needed in README


# ---------------------------------------------------------------------------- the load balancer


SECTIONS = ("global", "defaults", "resolvers", "frontend", "backend", "listen")


@dataclass
class Section:
    """One section of haproxy.cfg: its kind, name and ``(keyword, arguments)`` lines."""

    kind: str
    name: str
    lines: list[tuple[str, list[str]]] = field(default_factory=list)

    def values(self, keyword: str) -> list[str]:
        return [" ".join(args) for kw, args in self.lines if kw == keyword]

    def acls(self) -> dict[str, tuple[str, list[str]]]:
        acls = {}
        for kw, args in self.lines:
            if kw == "acl":
                name, fetch, *patterns = args
                assert fetch in ("path", "path_beg"), f"unsupported acl fetch {fetch}"
                acls[name] = (fetch, patterns)
        return acls

    def acl_paths(self) -> set[str]:
        return {p for fetch, patterns in self.acls().values() if fetch == "path" for p in patterns}

    def default_server(self, option: str) -> float:
        [line] = self.values("default-server")
        words = line.split()
        value = words[words.index(option) + 1]
        return float(value.removesuffix("s"))

    def admits(self, method: str, path: str) -> bool:
        """Whether this frontend passes the request on (every ``http-request deny`` rule evaluated)."""
        acls = self.acls()

        def holds(name: str) -> bool:
            if name.startswith("!"):
                return not holds(name[1:])
            if name.startswith("METH_"):
                return method == name.removeprefix("METH_")
            fetch, patterns = acls[name]
            return path in patterns if fetch == "path" else any(path.startswith(p) for p in patterns)

        for kw, args in self.lines:
            if kw != "http-request":
                continue
            assert args[0] == "deny", f"unsupported rule: {args}"
            rest = args[1:]
            if rest[0] == "deny_status":
                rest = rest[2:]
            which, *condition = rest
            terms = [t for t in condition if t not in ("||", "or")]
            assert len(terms) == len(condition) // 2 + 1, f"only 'a || b' conditions here: {condition}"
            matched = any(holds(t) for t in terms)
            if (which == "if" and matched) or (which == "unless" and not matched):
                return False
        return True


@dataclass
class HaproxyConfig:
    sections: list[Section]

    def section(self, kind: str, name: str = "") -> Section:
        [found] = [s for s in self.sections if s.kind == kind and s.name == name]
        return found


def haproxy() -> HaproxyConfig:
    """deploy/haproxy.cfg, split into sections; every line must belong to one."""
    sections: list[Section] = []
    for number, raw in enumerate((DEPLOY / "haproxy.cfg").read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        words = shlex.split(line)
        if not raw[0].isspace():
            assert words[0] in SECTIONS, f"line {number}: unknown section {words[0]!r}"
            assert len(words) <= 2, f"line {number}: a section has at most a name"
            sections.append(Section(words[0], words[1] if len(words) == 2 else ""))
        else:
            assert sections, f"line {number}: a setting outside any section"
            sections[-1].lines.append((words[0], words[1:]))
    return HaproxyConfig(sections)


def test_haproxy_config_parses_into_known_sections() -> None:
    config = haproxy()
    kinds = [s.kind for s in config.sections]
    assert kinds.count("global") == 1 and kinds.count("defaults") == 1
    mounted = [v for v in SERVICES["lb"]["volumes"] if v.startswith("./haproxy.cfg:")]
    assert mounted == ["./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    assert config.section("defaults").values("mode") == ["http"]
    # Every backend a frontend uses exists.
    backends = {s.name for s in config.sections if s.kind == "backend"}
    for section in config.sections:
        if section.kind == "frontend":
            assert set(section.values("default_backend")) <= backends


def test_the_public_frontend_passes_the_webhook_slack_events_and_the_mini_app_only() -> None:
    public = haproxy().section("frontend", "public")
    telegram = webhook_path(env_file("bot.env")["TELEGRAM_WEBHOOK_URL"])
    assert public.admits("POST", telegram)
    assert public.admits("POST", EVENTS_PATH)
    others = ("/metrics", "/healthz", "/", "/metrics/", "/slack/events/x", telegram + "x", "/_sandbox/stats")
    for path in others:
        assert not public.admits("GET", path), path
        assert not public.admits("POST", path), path
    assert not public.admits("GET", telegram), "Telegram and Slack only POST"
    assert public.values("default_backend") == ["bots"]
    # the Mini App's page (GET) and its API (GET and POST), nothing else of the server
    for method, path in (("GET", "/webapp/"), ("GET", "/webapp/app.js"), ("POST", "/webapp/api/form")):
        assert public.admits(method, path), path
    assert not public.admits("GET", "/webapp") and not public.admits("GET", "/webappx/")


def test_the_backend_balances_round_robin_over_every_healthy_replica() -> None:
    config = haproxy()
    bots = config.section("backend", "bots")
    assert bots.values("balance") == ["roundrobin"]
    assert "send meth GET uri /healthz" in bots.values("http-check")
    assert "expect status 200" in bots.values("http-check")
    assert "httpchk" in bots.values("option")
    [template] = bots.values("server-template")
    _, count, address = template.split()[:3]
    low, _, high = count.partition("-")
    slots = int(high or low) - (int(low) - 1 if high else 0)
    assert slots >= SERVICES["bot"]["deploy"]["replicas"]
    # The compose service's name resolves to every replica.
    assert address == f"bot:{bot_environment()['HTTP_PORT']}"
    [default] = bots.values("default-server")
    assert "check" in default.split()
    resolver = default.split()[default.split().index("resolvers") + 1]
    assert "127.0.0.11:53" in config.section("resolvers", resolver).values("nameserver")[0]
