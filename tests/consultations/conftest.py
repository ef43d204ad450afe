"""The document store the document tests run against: each such test runs twice, on the
local folder and on an S3 bucket (moto's in-process mock of S3; skipped where moto is not
installed)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

S3_BUCKET = "hoering-test-documents"
S3_REGION = "eu-north-1"
S3_PREFIX = "documents/"


class LocalProbe:
    """What the app stored in its documents folder."""

    kind = "local"

    def __init__(self, folder: Path):
        self.folder = folder

    def locations(self) -> list[str]:
        """Every file in the folder, temporary ones included."""
        return sorted(str(p) for p in self.folder.rglob("*") if p.is_file())

    def files(self) -> list[bytes]:
        """The content of every file in the folder, temporary ones included."""
        return [Path(p).read_bytes() for p in self.locations()]


class S3Probe:
    """What the app stored in the bucket, and any upload left in the temporary folder."""

    kind = "s3"

    def __init__(self, client, staging: Path):
        self.client = client
        self.staging = staging

    def object_names(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=S3_BUCKET)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def locations(self) -> list[str]:
        return [f"s3://{S3_BUCKET}/{name}" for name in self.object_names()] + sorted(
            str(p) for p in self.staging.glob(".upload-*"))

    def files(self) -> list[bytes]:
        """The content of every object, then of every temporary upload file left behind."""
        return [self.client.get_object(Bucket=S3_BUCKET, Key=name)["Body"].read() for name in self.object_names()] + [
            p.read_bytes() for p in sorted(self.staging.glob(".upload-*"))]


def use_s3(app, monkeypatch, **settings) -> None:
    """Point the app at S3 (``settings`` override the test bucket's), with a new client."""
    values = {"DOCUMENT_STORAGE": "s3", "S3_BUCKET": S3_BUCKET, "S3_REGION": S3_REGION, "S3_PREFIX": S3_PREFIX,
              "S3_ACCESS_KEY_ID": "test-key-id", "S3_SECRET_ACCESS_KEY": "test-secret", "S3_ENDPOINT_URL": None,
              **settings}
    for key, value in values.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.extensions, "hoering_s3_clients", {})


@pytest.fixture
def s3_bucket(app, tmp_path, monkeypatch):
    """An empty mocked S3 bucket the app stores documents in; yields a boto3 client."""
    moto = pytest.importorskip("moto")
    import boto3

    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))  # where uploads wait while they are checked
    with moto.mock_aws():
        client = boto3.client("s3", region_name=S3_REGION, aws_access_key_id="test-key-id",
                              aws_secret_access_key="test-secret")
        client.create_bucket(Bucket=S3_BUCKET, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
        use_s3(app, monkeypatch)
        yield client


@pytest.fixture(params=["local", "s3"])
def document_store(request, app, tmp_path, monkeypatch):
    """The store the app keeps documents in: a folder of this test, or a mocked S3 bucket.
    Yields a probe whose ``files()`` are the stored contents (and any temporary upload
    file left behind)."""
    if request.param == "local":
        monkeypatch.setitem(app.config, "DOCUMENT_STORAGE", "local")
        monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))
        yield LocalProbe(tmp_path / "documents")
    else:
        client = request.getfixturevalue("s3_bucket")
        yield S3Probe(client, Path(tempfile.tempdir))
