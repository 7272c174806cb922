"""GET /api/v1/pack: what a phone keeps for a day without signal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import factories
from tests.sql import count_queries


def test_pack_holds_what_the_tech_needs_offline(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    retired = factories.make_equipment(status="retired")
    other = factories.make_equipment(model="SureColor T5170", make="Epson")
    for days in (200, 100, 50, 10):
        factories.make_visit(
            site.plotter,
            site.tech,
            started_at=datetime.now(UTC) - timedelta(days=days),
            summary=f"Visit {days} days ago",
            codes=("86:01",),
            meter=1000 - days,
        )
        factories.make_visit(
            other,
            site.tech,
            started_at=datetime.now(UTC) - timedelta(days=days),
            summary=f"Other {days}",
        )
    response = client.get("/api/v1/pack")
    assert response.status_code == 200
    pack = response.json
    assert pack["user"]["id"] == site.tech.id and pack["generated_at"]
    by_token = {item["token"]: item for item in pack["equipment"]}
    assert retired.qr_token not in by_token
    mine, theirs = by_token[site.plotter.qr_token], by_token[other.qr_token]
    # Every plotter: its last three visits; plotters on my open jobs: the whole history.
    assert [v["summary"] for v in theirs["last_visits"]] == ["Other 10", "Other 50", "Other 100"]
    assert "history" not in theirs
    assert [v["summary"] for v in mine["history"]] == [
        "Visit 10 days ago",
        "Visit 50 days ago",
        "Visit 100 days ago",
        "Visit 200 days ago",
    ]
    assert mine["history"][0]["error_codes"] == ["86:01"]
    assert mine["last_meter"]["value"] == 990
    assert mine["open_jobs"] == [site.job.number]
    assert mine["customer"]["name"] == "Halvorsen Kline Architects"
    assert [job["number"] for job in pack["jobs"]] == [site.job.number]
    [sop] = pack["sops"]
    assert sop["slug"] == "repair" and [s["kind"] for s in sop["steps"]] == [
        "check",
        "pass_fail",
        "measure",
        "photo",
    ]
    assert {part["sku"] for part in pack["parts"]} == {"CR357-67010", "F9J81A"}
    assert {line["sku"]: line["quantity"] for line in pack["van"]} == {
        "CR357-67010": 3,
        "F9J81A": 1,
    }
    urls = pack["urls"]
    for url in (
        "/",
        "/sops/",
        "/sops/repair",
        "/scan",
        "/van",
        f"/e/{site.plotter.qr_token}",
        "/visits/form/repair",
        "/visits/form/none",
    ):
        assert url in urls, url


def test_unchanged_pack_is_a_304(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    first = client.get("/api/v1/pack")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/pack", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    factories.make_visit(site.plotter, site.tech)
    changed = client.get("/api/v1/pack", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_pack_queries_do_not_grow_with_plotters(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    factories.make_visit(site.plotter, site.tech, codes=("87:11",))
    client.get("/api/v1/pack")
    with count_queries() as few:
        client.get("/api/v1/pack")
    for _ in range(30):
        plotter = factories.make_equipment()
        factories.make_visit(plotter, site.tech, codes=("87:11",))
    client.get("/api/v1/pack")
    with count_queries() as many:
        client.get("/api/v1/pack")
    assert len(many) == len(few)


def test_pack_is_per_user(client, site, auth):
    other = factories.make_user("tech")
    auth.login(user=other)
    pack = client.get("/api/v1/pack").json
    assert pack["user"]["id"] == other.id and pack["jobs"] == [] and pack["van"] == []
