"""Labels on S3-compatible object storage (moto's standalone server on loopback): saved there, served by our link."""

import socket
import uuid
from types import SimpleNamespace

import boto3
import pytest
from moto.server import ThreadedMotoServer

from koongo.accounts.tenancy import merchant_scope
from orders.models import LabelLink
from tests.orders.shipments.shipping import accepted_order, run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_storage(settings, monkeypatch):
    """A moto S3 server on loopback and the default storage pointed at it, as S3_* settings would configure it."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-north-1"}.items():
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-north-1")
    # moto keeps its buckets per process, so each test takes a bucket of its own.
    bucket = f"koongo-labels-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": bucket, "endpoint_url": endpoint, "region_name": "eu-north-1", "location": "media",
                        "default_acl": None, "querystring_auth": True, "file_overwrite": False},
        },
    }
    yield SimpleNamespace(client=client, bucket=bucket)
    server.stop()


def test_a_label_is_kept_in_the_bucket_and_served_through_its_link(world, s3_storage, client):
    order = accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        link = LabelLink.objects.select_related("label").get()
        name = link.label.file.name
    stored = s3_storage.client.get_object(Bucket=s3_storage.bucket, Key=f"media/{name}")["Body"].read()
    assert stored.startswith(b"%PDF")

    response = client.get(f"/labels/{link.token}.pdf")

    assert response.status_code == 200
    # Streamed through our view, not redirected: the capability link stays the only credential.
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == stored
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="miinto-label-{order.parent_order_id}.pdf"'


def test_a_revoked_link_answers_404_with_the_file_still_in_the_bucket(world, s3_storage, client, owner_client):
    accepted_order(world)
    run(world, "labels")
    with merchant_scope(world.merchant):
        link = LabelLink.objects.select_related("label").get()
        name = link.label.file.name
    owner_client.post(f"/labels/{link.pk}/revoke/")
    assert client.get(f"/labels/{link.token}.pdf").status_code == 404
    assert s3_storage.client.head_object(Bucket=s3_storage.bucket, Key=f"media/{name}")["ContentLength"] > 0
