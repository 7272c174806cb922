"""Photo uploads: decoded by the server, turned upright, stripped of metadata, refused when
bad, and on disk only once their row is committed."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from fieldapp.auth.models import User
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.photos.services import photo_bytes
from tests import factories
from tests.auth.test_sessions import run_parallel


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
    with Image.open(io.BytesIO(photo_bytes(db.session.get(Photo, photo_id), "full"))) as stored:
        assert stored.size == (200, 400)
        assert not stored.getexif()
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        r, g, b = stored.convert("RGB").getpixel((100, 10))  # the blue edge is now on top
    assert b > 150 and r < 100
    with Image.open(io.BytesIO(photo_bytes(db.session.get(Photo, photo_id), "thumb"))) as thumb:
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


def test_a_photo_caches_for_a_year_and_answers_304_when_unchanged(client, tech):
    """From the local folder: private, immutable, a year, an ETag, and 304 when sent back."""
    photo_id, _ = put(client, _jpeg(100, 100))
    served = client.get(f"/photos/{photo_id}")
    cache = {part.strip() for part in served.headers["Cache-Control"].split(",")}
    assert {"private", "immutable", "max-age=31536000"} <= cache
    again = client.get(f"/photos/{photo_id}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/photos/{photo_id}", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == served.data


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


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())


def test_a_failed_request_leaves_no_file(app, client, tech, monkeypatch):
    """Files go in place only when the row commits: a request that fails after decoding
    (here at the commit) leaves nothing on disk, not even a temporary file."""

    def refuse():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk full"))

    monkeypatch.setattr(db.session, "commit", refuse)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, response = put(client, _jpeg(100, 100))
    assert response.status_code == 500
    monkeypatch.undo()
    assert photo_count() == 0
    assert stored_files(app) == []


def test_the_pixel_limit_is_never_set_for_the_whole_process(client, tech):
    before = Image.MAX_IMAGE_PIXELS
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")
    _, response = put(client, buffer.getvalue(), content_type="image/png")
    assert response.status_code == 422
    assert before == Image.MAX_IMAGE_PIXELS


def test_parallel_uploads_of_one_photo_id_agree(live_app):
    """Two people (and a retry) upload to one photo id at once: does exactly one upload win,
    with its own file, and the others get 200 (same person) or 403 (someone else)?"""
    app, url = live_app
    with app.app_context():
        people = [factories.make_user("tech") for _ in range(2)]
        emails = [person.email for person in people]
    photo_id = uuid.uuid4()
    colours = {emails[0]: (200, 0, 0), emails[1]: (0, 0, 200)}
    answers: list[tuple[str, int]] = []

    def upload(index: int):
        email = emails[index % 2]

        def attempt(session):
            session.post(f"{url}/login", data={"email": email, "password": factories.PASSWORD})
            body = factories.jpeg_bytes(320, 240, colours[email])
            response = session.put(f"{url}/api/v1/photos/{photo_id}", data=body)
            answers.append((email, response.status_code))
            return response

        return attempt

    counter = iter(range(100))
    statuses = run_parallel(8, lambda session: upload(next(counter))(session))
    assert 500 not in statuses
    winners = [email for email, status in answers if status == 201]
    assert len(winners) == 1
    winner = winners[0]
    for email, status in answers:
        if status != 201:
            assert status == (200 if email == winner else 403)
    with app.app_context():
        photo = db.session.get(Photo, photo_id)
        owner = db.session.get(User, photo.uploaded_by_id)
        assert owner.email == winner
        with Image.open(io.BytesIO(photo_bytes(photo, "full"))) as stored:
            red, _, blue = stored.convert("RGB").getpixel((10, 10))
        assert (red > blue) == (winner == emails[0])
        leftovers = [p for p in stored_files(app) if p.suffix == ".tmp"]
        assert leftovers == []
