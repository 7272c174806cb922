"""What a scan without signing in shows: which plotter, who services it, a request form."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.public.models import ServiceRequest
from tests import factories


@pytest.fixture
def plotter_with_history(app):
    """A plotter with history, prices, staff and another customer around it."""
    tech = factories.make_user("tech", name="Sam Okafor")
    factories.make_user("office", name="Maria Chen")
    owner = factories.make_customer(name="Halvorsen Kline Architects")
    factories.make_customer(name="Riverwalk Print & Copy")
    other_plotter = factories.make_equipment(factories.make_customer(name="Secret Client LLC"))
    plotter = factories.make_equipment(owner, model="DesignJet T1700", location_note="18th floor")
    part = factories.make_part(name="Trailing cable assembly", unit_cost_cents=18950)
    factories.make_job(
        owner, equipment=plotter, problem="Banding on survey plots", assigned_to_id=tech.id
    )
    factories.make_visit(
        plotter,
        tech,
        started_at=datetime.now(UTC) - timedelta(days=5),
        summary="Replaced trailing cable; 87:11 cleared",
        codes=("87:11",),
        parts=((part, 1, factories.van_of(tech)),),
        meter=182340,
    )
    return plotter, other_plotter


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_public_page_leaks_nothing(client, plotter_with_history):
    """Can someone without an account see history, other customers, prices or staff names?"""
    plotter, other = plotter_with_history
    response = client.get(f"/e/{plotter.qr_token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    visible = text_of(html)
    assert "HP DesignJet T1700" in visible
    assert "Halvorsen Kline Architects" in visible  # the owner may be named
    assert "Request service" in visible
    for secret in (
        "87:11",
        "trailing cable",
        "Trailing cable",
        "Banding on survey plots",
        "182,340",
        "182340",
        "$",
        "189.50",
        "Sam",
        "Okafor",
        "Maria",
        "Riverwalk",
        "Secret Client",
        other.qr_token,
        "18th floor",
        "J-10",
        plotter.serial_number,
    ):
        assert secret not in html, secret


def test_public_page_links_technicians_to_sign_in_and_back(client, plotter_with_history):
    plotter, _ = plotter_with_history
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert f'href="/login?next=/e/{plotter.qr_token}"' in html
    tech = factories.make_user("tech", email="tech@example.com")
    response = client.post(
        f"/login?next=/e/{plotter.qr_token}",
        data={"email": tech.email, "password": factories.PASSWORD},
    )
    assert response.location == f"/e/{plotter.qr_token}"
    assert "Replaced trailing cable" in client.get(response.location).get_data(as_text=True)


def test_unknown_revoked_and_unclaimed_look_the_same(client, app):
    """Does the public page say nothing about which codes exist?"""
    from fieldapp.equipment.services import issue_unclaimed_labels, replace_label

    plotter = factories.make_equipment()
    old = plotter.qr_token
    factories.committed(replace_label, plotter, revoke_old=True, actor_id=None)
    unclaimed = factories.committed(issue_unclaimed_labels, 1, actor_id=None)[0].token
    codes = ("ZZZZZZZZ", old, unclaimed, "not-a-code")
    pages = {code: client.get(f"/e/{code}") for code in codes}
    assert {page.status_code for page in pages.values()} == {404}
    bodies = {
        re.sub(r'name="csrf-token" content="[^"]+"', "", page.get_data(as_text=True)).replace(
            code, "CODE"
        )
        for code, page in pages.items()
    }
    assert len(bodies) == 1
    assert "This label isn't active" in bodies.pop()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_request_form_creates_a_request_with_photo_and_activity(client, plotter_with_history):
    plotter, _ = plotter_with_history
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={
            "name": "Dana Ruiz",
            "phone": "555 014 2290",
            "email": "",
            "problem": "Paper jams every few prints, panel says 81:01",
            "photo": (io.BytesIO(jpeg_bytes()), "screen.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    request = db.session.scalar(sa.select(ServiceRequest))
    assert request.equipment_id == plotter.id
    assert request.status == "new"
    assert re.fullmatch(r"SR-[2-9A-HJKMNP-Z]{6}", request.reference)
    photo = db.session.scalar(sa.select(Photo).where(Photo.service_request_id == request.id))
    assert photo is not None and photo.content_type == "image/jpeg"
    event = db.session.scalar(
        sa.select(ActivityEvent).where(ActivityEvent.verb == "request.received")
    )
    assert request.reference in event.summary and event.equipment_id == plotter.id
    page = client.get(response.location).get_data(as_text=True)
    assert request.reference in page and "Request received" in page


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "phone": "555 0100", "problem": "Jams"}, "name", "Tell us your name"),
        (
            {"name": "Dana", "phone": "", "email": "", "problem": "Jams a lot"},
            "phone",
            "phone number or an email",
        ),
        (
            {"name": "Dana", "email": "not-email", "problem": "Jams a lot"},
            "email",
            "email address like",
        ),
        ({"name": "Dana", "phone": "555 0100", "problem": ""}, "problem", "Describe the problem"),
        (
            {"name": "Dana", "phone": "call me maybe", "problem": "Jams a lot"},
            "phone",
            "phone number with digits",
        ),
    ],
)
def test_request_form_validates_and_saves_nothing(
    client, plotter_with_history, form, field, message
):
    plotter, _ = plotter_with_history
    response = client.post(f"/e/{plotter.qr_token}/request", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)) == 0


def test_request_with_a_non_image_photo_is_refused(client, plotter_with_history):
    plotter, _ = plotter_with_history
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={
            "name": "Dana",
            "phone": "555 0100",
            "problem": "Jams a lot",
            "photo": (io.BytesIO(b"not an image at all"), "screen.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "not a photo we can read" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)) == 0


def test_requests_are_rate_limited_per_plotter(client, plotter_with_history):
    plotter, _ = plotter_with_history
    form = {"name": "Dana", "phone": "555 0100", "problem": "Paper jams again"}
    for _ in range(5):
        assert client.post(f"/e/{plotter.qr_token}/request", data=form).status_code == 302
    response = client.post(f"/e/{plotter.qr_token}/request", data=form)
    assert response.status_code == 429
    assert "please call us" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)) == 5


def test_requests_are_rate_limited_per_address(client, app):
    form = {"name": "Dana", "phone": "555 0100", "problem": "Paper jams again"}
    plotters = [factories.make_equipment() for _ in range(11)]
    statuses = [client.post(f"/e/{p.qr_token}/request", data=form).status_code for p in plotters]
    assert statuses == [302] * 10 + [429]


def test_request_for_an_unknown_label_is_refused(client):
    response = client.post("/e/ZZZZZZZZ/request", data={"name": "x"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)) == 0


def test_retired_plotter_label_is_inactive_for_the_public(client):
    plotter = factories.make_equipment(status="retired")
    assert client.get(f"/e/{plotter.qr_token}").status_code == 404


def _truncated_png(side: int) -> bytes:
    """A PNG header claiming side x side pixels, cut short: cheap to send, costly to decode."""
    buffer = io.BytesIO()
    Image.new("L", (side, side)).save(buffer, "PNG")
    return buffer.getvalue()[:4000]


def _post_with_photo(client, plotter, data: bytes, **form):
    return client.post(
        f"/e/{plotter.qr_token}/request",
        data={
            "name": "Dana",
            "phone": "555 0100",
            "problem": "Jams a lot",
            **form,
            "photo": (io.BytesIO(data), "plot.png"),
        },
        content_type="multipart/form-data",
    )


def test_failed_requests_count_toward_the_throttle(client, plotter_with_history, app):
    """Every try costs decoding work: do refused ones count, so an attacker reaches the 429
    after five, and is a big image refused from its header, before any pixel is decoded?"""
    plotter, _ = plotter_with_history
    statuses = [
        _post_with_photo(client, plotter, _truncated_png(7000)).status_code for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    first = _post_with_photo(client, factories.make_equipment(), _truncated_png(7000))
    assert "too many pixels" in first.get_data(as_text=True)
    assert app.config["PUBLIC_PHOTO_MAX_PIXELS"] < app.config["PHOTO_MAX_PIXELS"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceRequest)) == 0


def test_a_big_file_is_refused_before_decoding(client, plotter_with_history, app):
    plotter, _ = plotter_with_history
    app.config["PUBLIC_PHOTO_MAX_BYTES"] = 50_000
    response = _post_with_photo(client, plotter, factories.jpeg_bytes(2000, 2000) + b"\0" * 60_000)
    assert response.status_code == 422
    assert "larger than" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_name_is_refused_and_leaves_no_file(client, plotter_with_history, app):
    """(PostgreSQL cannot store NUL.) Is the request refused cleanly, nothing stored on disk?"""
    plotter, _ = plotter_with_history
    response = _post_with_photo(client, plotter, factories.jpeg_bytes(), name="Da\x00na")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    assert not [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]
