"""The phone keeps its offline pack in step with deltas: after the first full pack it asks
with its cursor and gets only what changed, a few KB, applied to what IndexedDB holds."""

from __future__ import annotations

import json
from datetime import timedelta

from playwright.sync_api import expect

from fieldapp.dbtypes import utcnow
from fieldapp.equipment.services import set_equipment_status
from fieldapp.sync.changes import RETENTION, prune_pack_changes
from tests import factories
from tests.e2e.browser import sign_in

STORED_PACK = """async (user) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("fieldapp");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const record = await new Promise((resolve, reject) => {
    const request = db.transaction("packs").objectStore("packs").get(String(user));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return record ?? null;
}"""

PLANT_PLOTTER = """async ([user, plotter]) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("fieldapp");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const store = db.transaction("packs", "readwrite").objectStore("packs");
    const request = store.get(String(user));
    request.onsuccess = () => {
      const record = request.result;
      record.data.equipment.push(plotter);
      const put = store.put(record);
      put.onsuccess = resolve;
      put.onerror = () => reject(put.error);
    };
    request.onerror = () => reject(request.error);
  });
  db.close();
}"""

# The stored pack holds the plotter with this id, and a visit with this summary on it.
HOLDS_VISIT = (
    "async ([user, id, summary]) => {\n  const record = await ("
    + STORED_PACK
    + """)(user);
  const plotter = record?.data.equipment.find((item) => item.id === id);
  return Boolean(plotter && plotter.last_visits.some((visit) => visit.summary === summary));
}"""
)

HOLDS_PLOTTER = (
    "async ([user, id]) => {\n  const record = await ("
    + STORED_PACK
    + """)(user);
  return Boolean(record?.data.equipment.some((item) => item.id === id));
}"""
)
HOLDS_CURSOR = (
    "async ([user, cursor]) => (await (" + STORED_PACK + ")(user))?.data.cursor === cursor"
)


def is_pack(response) -> bool:
    return "/api/v1/pack" in response.url and response.request.method == "GET"


def refresh(page):
    """Tap Refresh on Today; the pack's answer."""
    with page.expect_response(is_pack) as answer:
        page.locator("[data-refresh-pack]").click()
    return answer.value


def test_the_phone_keeps_its_pack_in_step_with_deltas(phone, live_server, day):
    tech = day["tech"]
    other = factories.make_user("tech", name="Ines Duarte", email="ines@example.com")
    for _ in range(60):  # a company with more plotters than the phone's day needs
        factories.make_equipment()
    page = phone.start()
    with page.expect_response(is_pack) as first:
        sign_in(page, phone.base, tech.email, factories.PASSWORD)
    assert "since=" not in first.value.url and first.value.json()["delta"] is False
    full_size = len(first.value.body())
    phone.ready_for_offline("/")
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready: 63 plotters")
    stored = page.evaluate(STORED_PACK, tech.id)
    assert stored["data"]["cursor"] == first.value.json()["cursor"]

    # Another tech logs a visit on a plotter of another customer.
    scanned = day["scanned"]
    factories.make_visit(scanned, other, summary="Cleared the 86:01 jam, head aligned")
    answer = refresh(page)
    assert f"since={stored['data']['cursor']}" in answer.url
    body = answer.json()
    assert body["delta"] is True and [item["id"] for item in body["equipment"]] == [scanned.id]
    assert len(answer.body()) < 3000, len(answer.body())
    assert full_size > 10 * len(answer.body())
    page.wait_for_function(
        HOLDS_VISIT, arg=[tech.id, scanned.id, "Cleared the 86:01 jam, head aligned"]
    )
    stored = page.evaluate(STORED_PACK, tech.id)
    assert len(stored["data"]["equipment"]) == 63 and stored["data"]["cursor"] == body["cursor"]
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready: 63 plotters")

    # The plotter's offline page shows the new visit (drawn from the pack, no signal).
    phone.offline()
    phone.go(f"/e/{scanned.qr_token}")
    expect(page.get_by_role("heading", name="Canon imagePROGRAF TM-300")).to_be_visible()
    expect(page.locator("[data-timeline]")).to_contain_text("Cleared the 86:01 jam")
    phone.offline(False)
    phone.go("/")

    # A retired plotter leaves the phone.
    nearby = day["nearby"]
    factories.committed(set_equipment_status, nearby, "retired", actor_id=other.id)
    answer = refresh(page)
    assert answer.json()["delta"] is True
    assert answer.json()["removed"]["equipment"] == [nearby.id]
    page.wait_for_function(
        f"async (args) => !(await ({HOLDS_PLOTTER})(args))", arg=[tech.id, nearby.id]
    )
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready: 62 plotters")

    # A cursor older than the change log keeps (the daily pass pruned past it): the whole
    # pack again, in place of the copy (a plotter only the phone had is gone).
    stored = page.evaluate(STORED_PACK, tech.id)
    fake = {**stored["data"]["equipment"][0], "id": 999999, "token": "FAKE0000"}
    page.evaluate(PLANT_PLOTTER, [tech.id, fake])
    page.wait_for_function(HOLDS_PLOTTER, arg=[tech.id, 999999])
    factories.make_visit(day["scanned"], other, summary="After the phone's cursor")
    assert factories.committed(prune_pack_changes, now=utcnow() + RETENTION + timedelta(days=1))
    answer = refresh(page)
    body = answer.json()
    assert body["delta"] is False and len(body["equipment"]) == 62
    page.wait_for_function(HOLDS_CURSOR, arg=[tech.id, body["cursor"]])
    stored = page.evaluate(STORED_PACK, tech.id)
    assert 999999 not in {item["id"] for item in stored["data"]["equipment"]}
    assert json.dumps(stored["data"]["equipment"], sort_keys=True) == json.dumps(
        body["equipment"], sort_keys=True
    )
