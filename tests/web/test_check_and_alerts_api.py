"""POST /api/v1/check and the alert-rules endpoints (token-protected state change)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import AS_OF, ServerThread

from cryptodesk.core.settings import load_settings
from cryptodesk.desk import Desk
from cryptodesk.desk.check import check_text
from cryptodesk.web.app import create_app

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed"
TOKEN = "s3cret-token-value"
RULES = """
[[rule]]
name = "total-high"
when = "extreme"
subjects = ["total_market_cap"]
min_days = 60
sinks = ["out"]

[sink.out]
type = "stdout"
"""


def article() -> str:
    (path,) = SEED.glob("article-2023-01-18-*.txt")
    return path.read_text(encoding="utf-8")


def test_check_api_returns_the_engine_verdicts(client: httpx.Client, pack_desk: Desk) -> None:
    text = article()
    resp = client.post("/api/v1/check", json={"text": text, "as_of": AS_OF})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    direct = check_text(pack_desk, text, datetime.fromisoformat(AS_OF.replace("Z", "+00:00")), "America/New_York")
    assert [(c["text"], c["verdict"]) for c in data["claims"]] == [(c.claim.text, c.verdict) for c in direct.claims]
    assert sum(data["counts"].values()) == len(direct.claims)
    assert data["counts"]["supported"] >= 1


@pytest.mark.parametrize(
    ("body", "status", "parameter"),
    [
        ({"text": ""}, 422, "text"),
        ({}, 422, "text"),
        ({"text": "BTC rose 5%", "as_of": "noon-ish"}, 400, "as_of"),
        ({"text": "BTC rose 5%", "tz": "Nowhere/Land"}, 400, "tz"),
        ({"text": "   "}, 400, None),
    ],
)
def test_check_api_rejects_bad_bodies(client: httpx.Client, body: dict[str, str], status: int, parameter: str) -> None:
    resp = client.post("/api/v1/check", json=body)
    assert resp.status_code == status, resp.text
    assert resp.json()["ok"] is False
    assert resp.json()["error"]["parameter"] == parameter


def test_check_page_highlights_claims(client: httpx.Client) -> None:
    resp = client.post("/check", data={"text": article(), "as_of": AS_OF})
    assert resp.status_code == 200
    assert resp.text.count("<mark") >= 5
    assert 'class="claim-ok"' in resp.text


@pytest.fixture(scope="module")
def guarded(pack_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    """A server with an API token and an alerts file."""
    folder = tmp_path_factory.mktemp("guarded")
    rules = folder / "alerts.toml"
    rules.write_text(RULES, encoding="utf-8")
    settings = load_settings({"db": pack_db, "api_token": TOKEN}, env={})
    app = create_app(settings, snapshot_dir=folder / "snap", alerts_file=rules)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as c:
        yield c, rules


def test_rules_are_listed_without_sink_targets(guarded: tuple[httpx.Client, Path]) -> None:
    client, _ = guarded
    rules = client.get("/api/v1/alerts/rules").json()["data"]
    assert [(r["name"], r["when"], r["min_days"], r["sinks"]) for r in rules] == [
        ("total-high", "extreme", 60, ["out"])
    ]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": f"Basic {TOKEN}"}, 401)],
)
def test_changing_rules_needs_the_token(
    guarded: tuple[httpx.Client, Path], headers: dict[str, str], status: int
) -> None:
    client, path = guarded
    before = path.read_text()
    resp = client.put("/api/v1/alerts/rules", json={"toml": RULES.replace("60", "30")}, headers=headers)
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == "unauthorized"
    assert TOKEN not in resp.text
    assert path.read_text() == before


def test_changing_rules_with_the_token(guarded: tuple[httpx.Client, Path]) -> None:
    client, path = guarded
    auth = {"Authorization": f"Bearer {TOKEN}"}
    bad = client.put("/api/v1/alerts/rules", json={"toml": "[[rule]]\nname = 'x'\nwhen = 'sometimes'\n"}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["error"]["parameter"] == "rule[0].when"
    ok = client.put("/api/v1/alerts/rules", json={"toml": RULES.replace("60", "30")}, headers=auth)
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"][0]["min_days"] == 30
    assert "min_days = 30" in path.read_text()
    client.put("/api/v1/alerts/rules", json={"toml": RULES}, headers=auth)


def test_state_changes_are_disabled_without_a_configured_token(client: httpx.Client) -> None:
    resp = client.put("/api/v1/alerts/rules", json={"toml": RULES}, headers={"Authorization": "Bearer anything"})
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
