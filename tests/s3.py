"""A real S3 endpoint for the tests (moto's server on 127.0.0.1), buckets made with boto3, and
the app settings and credentials that point an app at one. The server runs once per test
session (the `s3` fixture in tests/conftest.py)."""

from __future__ import annotations

import uuid

import boto3
from moto.server import ThreadedMotoServer

# What boto3 reads from its usual environment; moto takes any keys.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


class S3Server:
    """moto's S3 on a free port of 127.0.0.1; each test takes a bucket of its own."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> S3Server:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self):
        return boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.url)

    def new_bucket(self) -> Bucket:
        bucket = Bucket(self.client(), f"fieldapp-test-{uuid.uuid4().hex[:12]}")
        bucket.client.create_bucket(Bucket=bucket.name)
        return bucket


class Bucket:
    def __init__(self, client, name: str) -> None:
        self.client = client
        self.name = name

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        with self.client.get_object(Bucket=self.name, Key=key)["Body"] as body:
            return body.read()


def use_test_credentials(monkeypatch) -> None:
    """boto3's usual environment holds the test's keys (and no file of the machine's)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


def s3_settings(s3: S3Server, bucket: Bucket, prefix: str = "fieldapp") -> dict:
    """The app settings that keep its files in bucket under prefix."""
    return {"STORAGE_URL": f"s3://{bucket.name}/{prefix}", "S3_ENDPOINT_URL": s3.url}
