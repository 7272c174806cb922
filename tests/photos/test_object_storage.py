"""Photos, signatures and the logo in an S3 bucket (moto's real S3 endpoint on 127.0.0.1):
stored under the prefix only once their row commits, served through the app byte-exact with
its access check and caching headers, read back for PDFs, and a bad STORAGE_URL refused."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError
from PIL import Image

from fieldapp import create_app
from fieldapp.auth.models import User
from fieldapp.config import ConfigError
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.photos.services import remove_photo, store
from fieldapp.photos.storage import STORED_NAME, S3Bucket, file_name
from fieldapp.settings.services import company
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.auth.test_sessions import run_parallel
from tests.conftest import make_test_app
from tests.live import LiveServer
from tests.s3 import s3_settings, use_test_credentials
from tests.settings.test_company import logo_png, post_logo
from tests.visits.test_report_pdf import finished_visit, images_in

A_YEAR = "max-age=31536000"


@pytest.fixture
def bucket(s3, monkeypatch):
    use_test_credentials(monkeypatch)
    return s3.new_bucket()


@pytest.fixture
def app(tmp_path, postgres_schema, s3, bucket):
    app = make_test_app(tmp_path, postgres_schema, **s3_settings(s3, bucket, "shop/files"))
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def tech(client, auth):
    return auth.login("tech")


def put_photo(client, data: bytes | None = None, photo_id=None, kind="photo"):
    photo_id = photo_id or uuid.uuid4()
    response = client.put(
        f"/api/v1/photos/{photo_id}?kind={kind}",
        data=data or factories.jpeg_bytes(320, 240),
        content_type="image/jpeg",
    )
    return photo_id, response


def keys_of(photo_id: uuid.UUID) -> list[str]:
    name = photo_id.hex
    return [
        f"shop/files/photos/{name[:2]}/{name}.jpg",
        f"shop/files/photos/{name[:2]}/{name}.thumb.jpg",
    ]


def staged_keys(keys: list[str]) -> list[str]:
    return [key for key in keys if key.startswith("shop/files/.staged/")]


def local_files(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def test_an_uploaded_photo_is_in_the_bucket_and_served_byte_exact_with_caching(
    app, client, tech, bucket
):
    """Does an upload land under the prefix (nothing staged left, nothing on local disk), and
    come back through the app byte for byte, cached a year, privately, with a 304 after?"""
    assert isinstance(store(), S3Bucket)
    photo_id, response = put_photo(client)
    assert response.status_code == 201
    assert bucket.keys() == keys_of(photo_id)
    assert local_files(app) == []

    for path, key in zip(("", "/thumb"), keys_of(photo_id), strict=True):
        served = client.get(f"/photos/{photo_id}{path}")
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.data == bucket.read(key)
        cache = served.headers["Cache-Control"]
        assert {"private", "immutable", A_YEAR} <= {part.strip() for part in cache.split(",")}
        etag = served.headers["ETag"]
        again = client.get(f"/photos/{photo_id}{path}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag


def test_anonymous_requests_get_no_photo(client, tech, auth):
    """Is a photo in the bucket still behind the sign-in (a redirect, no bytes)?"""
    photo_id, _ = put_photo(client)
    auth.logout()
    refused = client.get(f"/photos/{photo_id}")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert client.get(f"/photos/{photo_id}/thumb").status_code == 302


def test_a_photo_missing_from_the_bucket_is_a_404(client, tech, bucket):
    photo_id, _ = put_photo(client)
    bucket.client.delete_object(Bucket=bucket.name, Key=keys_of(photo_id)[0])
    assert client.get(f"/photos/{photo_id}").status_code == 404
    assert client.get(f"/photos/{photo_id}/thumb").status_code == 200


def test_a_rolled_back_upload_leaves_no_object(app, client, tech, bucket, monkeypatch):
    """An upload whose commit fails (after its files were staged) leaves neither the final
    objects nor the staged ones."""
    staged: list[str] = []
    write_temporary = S3Bucket._write_temporary

    def spy(self, name, data):
        staged.append(write_temporary(self, name, data))
        return staged[-1]

    def refuse():
        raise sa.exc.OperationalError("COMMIT", {}, Exception("disk full"))

    monkeypatch.setattr(S3Bucket, "_write_temporary", spy)
    monkeypatch.setattr(db.session, "commit", refuse)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _, response = put_photo(client)
    assert response.status_code == 500
    monkeypatch.undo()
    assert len(staged) == 2 and all(key.startswith("shop/files/.staged/") for key in staged)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    assert bucket.keys() == []


def test_a_removed_photo_s_objects_go_only_when_the_removal_commits(client, tech, bucket):
    photo_id, _ = put_photo(client)
    photo = db.session.get(Photo, photo_id)
    with pytest.raises(RuntimeError), unit_of_work():
        remove_photo(photo)
        raise RuntimeError("the request failed")
    assert bucket.keys() == keys_of(photo_id)

    photo = db.session.get(Photo, photo_id)
    with unit_of_work():
        remove_photo(photo)
        db.session.flush()
        assert bucket.keys() == keys_of(photo_id)  # not before the commit
    assert bucket.keys() == []

    # The phone's own discard of an upload it no longer needs goes the same way.
    other_id, _ = put_photo(client)
    discard = {
        "id": str(uuid.uuid4()),
        "type": "photo.discard",
        "payload": {"photos": [str(other_id)]},
    }
    results = client.post("/api/v1/sync", json={"ops": [discard]}).json["results"]
    assert results[0]["status"] == "applied"
    assert bucket.keys() == []


def test_racing_uploads_of_one_photo_id_leave_only_the_winner_s_objects(
    tmp_path, postgres_schema, s3, bucket
):
    """Two people upload to one photo id at once: only the committed upload's file is in the
    bucket (its colour), and nothing staged is left."""
    app = make_test_app(tmp_path, postgres_schema, **s3_settings(s3, bucket, "shop/files"))
    server = LiveServer(app).start()
    try:
        with app.app_context():
            emails = [factories.make_user("tech").email for _ in range(2)]
        photo_id = uuid.uuid4()
        colours = {emails[0]: (200, 0, 0), emails[1]: (0, 0, 200)}
        counter = iter(range(100))

        def upload(session):
            email = emails[next(counter) % 2]
            session.post(
                f"{server.url}/login", data={"email": email, "password": factories.PASSWORD}
            )
            body = factories.jpeg_bytes(320, 240, colours[email])
            return session.put(f"{server.url}/api/v1/photos/{photo_id}", data=body)

        statuses = run_parallel(6, upload)
    finally:
        server.stop()
    assert statuses.count(201) == 1 and 500 not in statuses
    assert bucket.keys() == keys_of(photo_id)
    with app.app_context():
        owner = db.session.get(User, db.session.get(Photo, photo_id).uploaded_by_id)
        with Image.open(
            bucket.client.get_object(Bucket=bucket.name, Key=keys_of(photo_id)[0])["Body"]
        ) as stored:
            red, _, blue = stored.convert("RGB").getpixel((10, 10))
        db.session.remove()
    assert (red > blue) == (owner.email == emails[0])


def test_the_logo_is_kept_in_the_bucket_and_served_to_anyone(app, client, auth, bucket):
    """Is the logo stored under the prefix, served publicly byte-exact with a 304, and its
    old object deleted once a new logo commits?"""
    auth.login("admin")
    assert post_logo(client, logo_png()).status_code == 302
    first = company()
    first_url = f"/company/logo-{first.logo_digest}.png"
    assert bucket.keys() == [f"shop/files/{first.logo}"]
    assert STORED_NAME.fullmatch(first.logo)  # what a backup holds and a restore deletes
    auth.logout()
    served = client.get(first_url)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == bucket.read(f"shop/files/{first.logo}")
    cache = {part.strip() for part in served.headers["Cache-Control"].split(",")}
    assert {"public", "immutable", A_YEAR} <= cache
    again = client.get(first_url, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304

    auth.login("admin")
    assert post_logo(client, logo_png(color=(10, 120, 60))).status_code == 302
    second = company()
    assert bucket.keys() == [f"shop/files/{second.logo}"] and second.logo != first.logo
    assert client.get(first_url).status_code == 404
    assert local_files(app) == []


def test_a_visit_pdf_shows_its_photo_and_signature_read_from_the_bucket(app, client, site, bucket):
    visit_id = finished_visit(client, site)
    assert len(bucket.keys()) == 4 and local_files(app) == []
    response = client.get(f"/visits/{visit_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert images_in(response.data) == 2  # the photo's thumbnail and the signature


def test_the_environment_chooses_the_bucket(tmp_path, postgres_schema, s3, bucket, monkeypatch):
    """Do FIELDAPP_STORAGE_URL and FIELDAPP_S3_ENDPOINT_URL point the app at the bucket?"""
    monkeypatch.setenv("FIELDAPP_STORAGE_URL", f"s3://{bucket.name}/from-env/")
    monkeypatch.setenv("FIELDAPP_S3_ENDPOINT_URL", s3.url)
    app = make_test_app(tmp_path, postgres_schema)
    with app.app_context():
        store().write("photos/ab/check.jpg", b"stored")
        assert store().read("photos/ab/check.jpg") == b"stored"
        assert list(store().names()) == ["photos/ab/check.jpg"]
        assert bucket.keys() == ["from-env/photos/ab/check.jpg"]
        assert store().exists("photos/ab/check.jpg") and not store().exists("photos/ab/no.jpg")
        with pytest.raises(FileNotFoundError):
            store().read("photos/ab/no.jpg")
        store().delete("photos/ab/check.jpg")
        store().delete("photos/ab/check.jpg")  # already gone: not an error
    assert bucket.keys() == []


@pytest.mark.parametrize(
    "url", ["ftp://bucket/photos", "s3://", "s3:///photos", "bucket/photos", "s3://Bad_Name/x"]
)
def test_a_bad_storage_url_stops_the_app_with_a_clear_message(tmp_path, monkeypatch, url):
    monkeypatch.setenv("FIELDAPP_STORAGE_URL", url)
    with pytest.raises(ConfigError, match="FIELDAPP_STORAGE_URL must be s3://BUCKET") as raised:
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}",
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            }
        )
    assert repr(url) in str(raised.value)


def test_an_upload_whose_copy_into_place_failed_is_repaired_when_sent_again(
    client, tech, bucket, monkeypatch
):
    """The commit's copy of the staged object fails once: the staged object is kept, and
    the phone sending the photo again (as it does until it has a file) stores it."""
    copy_object = store().client.copy_object
    failures = iter([True])

    def copy_failing_once(**arguments):
        if next(failures, False):
            raise ClientError({"Error": {"Code": "InternalError"}}, "CopyObject")
        return copy_object(**arguments)

    monkeypatch.setattr(store().client, "copy_object", copy_failing_once)
    body = factories.jpeg_bytes(320, 240)
    photo_id, first = put_photo(client, body)
    assert first.status_code == 201
    full, thumb = keys_of(photo_id)
    stored = bucket.keys()
    assert full not in stored and thumb in stored
    assert len(staged_keys(stored)) == 1
    assert client.get(f"/photos/{photo_id}").status_code == 404

    _, again = put_photo(client, body, photo_id)

    assert again.status_code == 200
    served = client.get(f"/photos/{photo_id}")
    assert served.status_code == 200 and served.data == bucket.read(full)
    assert client.get(f"/photos/{photo_id}/thumb").data == bucket.read(thumb)
    _, third = put_photo(client, body, photo_id)
    assert third.status_code == 200
    assert staged_keys(bucket.keys()) == staged_keys(stored)  # no new one: nothing to repair


def test_a_refused_read_of_a_missing_object_is_a_404(client, tech, bucket, monkeypatch):
    """AWS answers 403, not 404, for a missing key to credentials that may not list the
    bucket: the photo page is a 404 (and the refusal logged), not a 500."""
    photo_id, _ = put_photo(client)

    def refuse(**arguments):
        raise ClientError({"Error": {"Code": "AccessDenied"}}, "GetObject")

    monkeypatch.setattr(store().client, "get_object", refuse)
    assert client.get(f"/photos/{photo_id}").status_code == 404
    monkeypatch.setattr(store().client, "head_object", refuse)
    assert not store().exists(file_name(photo_id, "full", "photo"))


def test_a_storage_url_with_credentials_is_refused_without_showing_them(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAPP_STORAGE_URL", "s3://AKIAEXAMPLE:s3cr3t@Bad_Bucket/photos")
    with pytest.raises(ConfigError, match="FIELDAPP_STORAGE_URL must be s3://BUCKET") as raised:
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}",
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            }
        )
    assert "s3cr3t" not in str(raised.value) and "AKIAEXAMPLE" not in str(raised.value)
    assert "'s3://Bad_Bucket/photos'" in str(raised.value)


def test_a_conditional_request_is_answered_without_reading_the_object(
    client, tech, bucket, monkeypatch
):
    """A stored file never changes under its name: the ETag comes from the name, and a 304
    downloads nothing from the bucket."""
    photo_id, _ = put_photo(client)
    etag = client.get(f"/photos/{photo_id}").headers["ETag"]
    reads: list[str] = []
    get_object = store().client.get_object
    monkeypatch.setattr(
        store().client, "get_object", lambda **a: reads.append(a["Key"]) or get_object(**a)
    )

    again = client.get(f"/photos/{photo_id}", headers={"If-None-Match": etag})

    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert reads == []
    assert client.get(f"/photos/{photo_id}/thumb").headers["ETag"] != etag


def test_stored_names_are_the_photo_and_logo_shapes_only():
    """What a backup may hold and a restore may delete: a photo's files, the logo."""
    photo_id = uuid.uuid4()
    for size, kind in (("full", "photo"), ("thumb", "photo"), ("full", "signature")):
        assert STORED_NAME.fullmatch(file_name(photo_id, size, kind))
    others = [".", "photos/", ".staged/ab", "photos/ab/x.jpg", "notes.txt", "company/logo-x.png"]
    others.append(file_name(photo_id, "full", "photo").replace("/", "/00", 1))
    assert not any(STORED_NAME.fullmatch(name) for name in others)
