"""``deploy/grafana-dashboard.json`` is a valid Grafana dashboard over the bot's own metrics.

Every metric name its queries use must be in what the app's ``/metrics`` serves, and every
metric the app serves must have a panel: the dashboard cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import PREFIX, Metrics
from bot.storage import MemoryStorage, utc_now

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"
NAME = re.compile(r"\b" + PREFIX + r"[a-z0-9_]+")


def load() -> dict[str, Any]:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return [p for p in found if p["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel["targets"]]


async def served() -> tuple[set[str], set[str]]:
    """(sample names, family names) of a real registry after one event of every kind."""
    metrics = Metrics()
    metrics.update("telegram", "handled", 0.01)
    metrics.api_call("/v1/info/balance/", "429", 0.2)
    metrics.delivery("telegram", "sent")
    storage = MemoryStorage()
    metrics.read_storage(storage, utc_now)
    metrics.read_budget(lambda: 100)
    text = (await metrics.render()).decode()
    await storage.close()
    families = list(text_string_to_metric_families(text))
    # prometheus_client's "<counter or histogram>_created" series (when the series began) need no panel
    charted = {f.name for f in families if not f.name.endswith("_created")}
    return {s.name for f in families for s in f.samples}, charted


def test_the_dashboard_is_a_grafana_dashboard_with_a_prometheus_datasource_variable() -> None:
    dashboard = load()
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["uid"] and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


async def test_every_metric_in_the_dashboard_is_served_and_every_served_metric_has_a_panel() -> None:
    samples, families = await served()
    used = {name for expr in expressions(load()) for name in NAME.findall(expr)}
    assert used, "the dashboard queries no metric of the bot"
    assert used <= samples, f"not served by the app: {sorted(used - samples)}"
    without_panel = {f for f in families if not any(name.startswith(f) for name in used)}
    assert not without_panel, f"no panel for: {sorted(without_panel)}"


async def test_latency_panels_read_the_histograms_at_three_quantiles() -> None:
    exprs = expressions(load())
    for histogram in ("zadarma_bot_update_handling_seconds", "zadarma_bot_zadarma_api_call_seconds"):
        quantiles = {
            q
            for expr in exprs
            if f"{histogram}_bucket" in expr
            for q in re.findall(r"histogram_quantile\((0\.\d+)", expr)
        }
        assert quantiles == {"0.5", "0.95", "0.99"}, histogram
