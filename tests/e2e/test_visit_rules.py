"""The phone and the server can never disagree about a visit: visits drawn by hypothesis from
the rule set are checked by the phone's visit-rules.js in Chromium and sent to the server as
the outbox sends them. What the phone accepts, the server applies; what the phone refuses,
the server refuses too, never in another field or with another message."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.visits.models import OUTCOMES
from fieldapp.visits.rules import MESSAGES, StepRule, message, range_note, recorded_status
from fieldapp.visits.services import last_meter_reading
from tests import factories
from tests.e2e.browser import module_url, sign_in
from tests.scenarios import make_site

TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "   ", "\t\n", "reset after formatter swap", "é" * 301, "x" * 2001]),
)


def small_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@st.composite
def visits(draw, steps: list[StepRule], version_id: int, job: str, now: datetime):
    """A visit as the phone could send it: half of them careful (mostly valid, so the
    accepting side is tried as hard as the refusing one), half anything the form allows."""
    careful = draw(st.booleans())

    def pick(good, wild):
        return draw(st.sampled_from(good if careful else good + wild))

    texts = st.text(max_size=12) if careful else TEXTS
    started = now - timedelta(hours=draw(st.sampled_from([1, 5, 30])))
    finished = pick(
        [started + timedelta(minutes=40)],
        [started - timedelta(minutes=30), now + timedelta(hours=2)],
    )
    chosen = []
    for step in steps:
        if not draw(st.integers(0, 9 if careful else 3)):
            continue  # left out
        good = {
            "check": ["done", "n/a"],
            "pass_fail": ["pass", "fail", "n/a"],
            "measure": ["done", "fail", "n/a"],
            "photo": ["done", "n/a"],
        }[step.kind]
        status = pick(good, ["skipped"])
        value = None
        if step.kind == "measure":
            sane = st.one_of(
                st.integers(-5, 10**6),
                st.floats(-1e6, 1e6, allow_nan=False),
                st.floats(3, 7),  # about the expected range (4 to 6 N): inside and out
            )
            value = draw(
                sane
                if careful
                else st.one_of(
                    st.none(), sane, st.floats(-1e13, 1e13, allow_nan=False), st.just(10**13)
                )
            )
        chosen.append(
            {
                "step": step.id,
                "status": status,
                "value": value,
                "note": draw(texts),
                "photo": "upload"
                if step.kind == "photo" and (careful or draw(st.booleans()))
                else None,
                "at": None,
                "follow_up": status == "fail" and draw(st.booleans())
                if careful
                else draw(st.booleans()),
            }
        )
    parts = [
        {
            "sku": draw(st.sampled_from(["CR357-67010", "F9J81A"])),
            "quantity": pick([1, 2, 99], [-1, 0, 100, 150]),
            "from": draw(st.sampled_from(["van", "warehouse"])),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "id": str(uuid.uuid4()),
        "job": draw(st.sampled_from([job, None])),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "outcome": pick(list(OUTCOMES), [""]),
        "summary": draw(
            texts if careful else st.one_of(TEXTS, st.sampled_from(["y" * 5000, "y" * 5001]))
        ),
        "error_codes": draw(
            st.lists(
                st.sampled_from(["86:01", "87:11"] + ([] if careful else ["E" * 41])),
                max_size=3,
                unique=True,
            )
        ),
        # A careful tech rarely reads the meter lower than the last visit did.
        "meter_reading": draw(
            st.one_of(st.none(), st.none(), st.integers(0, 400_000))
            if careful
            else st.one_of(
                st.none(), st.integers(0, 400_000), st.sampled_from([10**12 - 1, 10**12])
            )
        ),
        "meter_note": draw(texts),
        "steps": chosen,
        "parts": parts,
        "photos": [],
        "signoff": {"name": pick(["", "Dana Ruiz"], ["D" * 121]), "signature": None},
        "sop_version": version_id,
    }


CHECK = """async ([url, payload, context]) => {
  const rules = await import(url);
  return rules.checkVisit(payload, { ...context, now: new Date() });
}"""


def test_what_the_phone_accepts_the_server_applies(live_server, page):
    site = make_site(friction=(4, 6))
    steps = [StepRule.of(step) for step in site.version.steps]
    sign_in(page, live_server.url, site.tech.email, factories.PASSWORD)
    page.goto(
        f"{live_server.url}/visits/form/repair#plotter={site.plotter.qr_token}&id={uuid.uuid4()}"
    )
    expect(page.locator("[data-visit-form]")).to_be_attached()
    module = module_url(page, "visit-rules.js")
    rules = page.evaluate("() => JSON.parse(document.getElementById('visit-rules').textContent)")
    token = page.evaluate("() => document.querySelector('meta[name=csrf-token]').content")
    http = requests.Session()
    for cookie in page.context.cookies():
        http.cookies.set(cookie["name"], cookie["value"])
    http.headers["X-CSRFToken"] = token
    job, plotter = site.job.number, site.plotter.qr_token
    agreed = {"applied": 0, "rejected": 0}

    @settings(
        max_examples=80,
        deadline=None,
        database=None,
        derandomize=True,  # the same 80 visits on every run: CI never draws a lucky set
        suppress_health_check=list(HealthCheck),
    )
    @given(visits(steps, site.version.id, job, datetime.now(UTC)))
    def agree(payload):
        payload["equipment"] = plotter
        for result in payload["steps"]:
            if result["photo"] == "upload":
                result["photo"] = str(uuid.uuid4())
                http.put(f"{live_server.url}/api/v1/photos/{result['photo']}", data=small_jpeg())
        db.session.expire_all()
        last = last_meter_reading(site.plotter.id)  # what the pack tells the phone
        context = {
            "rules": rules,
            "steps": [step.as_dict() for step in steps],
            "jobKind": "repair" if payload["job"] else None,
            "lastMeter": last.value if last else None,
        }
        phone = page.evaluate(CHECK, [module, payload, context])
        op = {"id": str(uuid.uuid4()), "type": "visit.record", "payload": payload}
        answer = http.post(f"{live_server.url}/api/v1/sync", json={"ops": [op]})
        assert answer.status_code == 200
        result = answer.json()["results"][0]
        assert (phone == {}) == (result["status"] == "applied"), (phone, result)
        if result["status"] == "rejected":
            server = result.get("fields") or {}
            assert server, result
            for field, messages in server.items():
                assert field in phone, (field, messages, phone)
                assert set(messages) <= set(phone[field]), (field, messages, phone[field])
        agreed[result["status"]] += 1

    agree()
    # Both kinds of visit were tried, many times.
    assert agreed["applied"] >= 10 and agreed["rejected"] >= 20, agreed


def test_the_messages_match_for_each_rule(live_server, page):
    """Every message of the rule set, formatted by the phone, reads as the server writes it."""
    site = make_site()
    sign_in(page, live_server.url, site.tech.email, factories.PASSWORD)
    page.goto(
        f"{live_server.url}/visits/form/repair#plotter={site.plotter.qr_token}&id={uuid.uuid4()}"
    )
    expect(page.locator("[data-visit-form]")).to_be_attached()
    module = module_url(page, "visit-rules.js")
    values = {
        "max": 5000,
        "min": -(10**12),
        "title": "Test “print”",
        "choices": "a, b",
        "steps": "1. X",
        "kind": "repair",
        "last": 182340,
        "step": 190500,
        "reading": 190000,
        "value": "abc",
        "expected": "4 to 6 N",
    }
    for key, template in MESSAGES.items():
        names = re.findall(r"\{(\w+)", template)
        given_values = {name: values[name] for name in names}
        phone = page.evaluate(
            "async ([url, template, values]) => (await import(url)).format(template, values)",
            [module, template, given_values],
        )
        assert phone == message(key, **given_values), key


RANGES = """async ([url, cases]) => {
  const rules = await import(url);
  const messages = JSON.parse(document.getElementById('visit-rules').textContent).messages;
  return cases.map(([step, status, value]) => [
    rules.outOfRange(step, value),
    rules.recordedStatus(step, status, value),
    value === null ? null : rules.rangeNote(messages, value, step.unit, step.expected),
  ]);
}"""


def test_the_phone_and_the_server_judge_a_range_alike(live_server, page):
    """outOfRange, recordedStatus and the note the form shows agree with StepRule.out_of_range,
    recorded_status and range_note: both ends, one-sided ranges, no range, other kinds."""
    site = make_site()
    sign_in(page, live_server.url, site.tech.email, factories.PASSWORD)
    page.goto(
        f"{live_server.url}/visits/form/repair#plotter={site.plotter.qr_token}&id={uuid.uuid4()}"
    )
    expect(page.locator("[data-visit-form]")).to_be_attached()
    ranges = [(4, 6, "4 to 6 N"), (4, None, "at least 4 N"), (None, 0.5, "at most 0.5 N")]
    steps = [
        StepRule(n, n, "Friction", "measure", True, min_value=low, max_value=high)
        for n, (low, high, _) in enumerate(ranges, start=1)
    ]
    steps += [
        StepRule(8, 8, "Humidity", "measure", False),
        StepRule(9, 9, "Look", "check", True, min_value=4, max_value=6),
    ]
    expected = {step.id: text for step, (_, _, text) in zip(steps, ranges, strict=False)}
    values = [None, -1e12, -2.5, 0, 0.5, 0.50001, 3.999, 4, 5.25, 6, 6.0001, 1234567.125, 1e12]
    cases = [
        (step, status, value)
        for step in steps
        for status in ("done", "fail", "n/a", "skipped")
        for value in values
    ]
    phone = page.evaluate(
        RANGES,
        [
            module_url(page, "visit-rules.js"),
            [
                [
                    {**step.as_dict(), "unit": "N", "expected": expected.get(step.id, "")},
                    status,
                    value,
                ]
                for step, status, value in cases
            ],
        ],
    )
    server = [
        [
            step.out_of_range(value),
            recorded_status(step, status, value),
            None if value is None else range_note(value, "N", expected.get(step.id, "")),
        ]
        for step, status, value in cases
    ]
    assert phone == server
    assert server.count([True, "fail", range_note(3.999, "N", "4 to 6 N")]) == 2  # done, fail
