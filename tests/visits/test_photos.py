"""Photos: decoded by the server, turned upright, stripped of metadata, refused when bad."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from fieldapp.extensions import db
from fieldapp.visits.models import Photo
from fieldapp.visits.photos import photo_path


@pytest.fixture
def tech(client, auth):
    return auth.login("tech")


def put(client, data: bytes, kind: str = "photo", photo_id=None, content_type="image/jpeg"):
    photo_id = photo_id or uuid.uuid4()
    return photo_id, client.put(
        f"/api/v1/photos/{photo_id}?kind={kind}", data=data, content_type=content_type
    )


def photo_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Photo))


def test_text_file_named_jpg_is_refused(client, tech):
    _, response = put(client, b"this is not a photo, just text\n" * 20)
    assert response.status_code == 422
    assert "not a photo we can read" in response.json["error"]["message"]
    assert photo_count() == 0


def test_decompression_bomb_is_refused(client, tech):
    """Is a 20000x20000 PNG (tiny on disk, 400 megapixels decoded) refused?"""
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 1_000_000
    _, response = put(client, buffer.getvalue(), content_type="image/png")
    assert response.status_code == 422
    assert "too many pixels" in response.json["error"]["message"]
    assert photo_count() == 0


def test_oversize_upload_is_refused(app, client, tech):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    _, response = put(client, b"\xff" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert photo_count() == 0


def test_rotated_exif_photo_is_stored_upright_without_exif(app, client, tech):
    """Is a photo with EXIF orientation 6 stored upright, with no EXIF or GPS left?"""
    image = Image.new("RGB", (400, 200), (200, 0, 0))
    image.paste((0, 0, 200), (0, 0, 100, 200))  # a blue left edge, to check the rotation
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x8825] = {2: (41.0, 52.0, 0.0), 1: "N"}  # GPS
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    photo_id, response = put(client, buffer.getvalue())
    assert response.status_code == 201
    assert (response.json["width"], response.json["height"]) == (200, 400)
    with Image.open(photo_path(photo_id)) as stored:
        assert stored.size == (200, 400)
        assert not stored.getexif()
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        r, g, b = stored.convert("RGB").getpixel((100, 10))  # the blue edge is now on top
    assert b > 150 and r < 100
    with Image.open(photo_path(photo_id, "thumb")) as thumb:
        assert max(thumb.size) == 320


def test_large_photo_is_downscaled_to_2048(client, tech):
    photo_id, response = put(client, _jpeg(4000, 3000))
    assert response.status_code == 201
    assert (response.json["width"], response.json["height"]) == (2048, 1536)


def test_same_photo_id_twice_is_stored_once(client, tech):
    photo_id, first = put(client, _jpeg(100, 100))
    _, second = put(client, _jpeg(100, 100), photo_id=photo_id)
    assert (first.status_code, second.status_code) == (201, 200)
    assert photo_count() == 1


def test_photo_served_only_to_staff(client, tech, auth):
    photo_id, _ = put(client, _jpeg(100, 100))
    with client.get(f"/photos/{photo_id}") as full:
        assert full.status_code == 200 and full.mimetype == "image/jpeg"
        full_size = len(full.data)
    with client.get(f"/photos/{photo_id}/thumb") as thumb:
        assert thumb.status_code == 200 and thumb.data and full_size
    auth.logout()
    assert client.get(f"/photos/{photo_id}").status_code == 302


def test_someone_elses_photo_id_is_refused(client, tech, auth):
    photo_id, _ = put(client, _jpeg(100, 100))
    auth.logout()
    auth.login("tech")
    _, response = put(client, _jpeg(50, 50), photo_id=photo_id)
    assert response.status_code == 403


def _jpeg(width, height) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()
