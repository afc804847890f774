"""The thumbnail route serves PNGs of menu datasets only, and answers anything else with 404."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latent_dash.app import create_app
from tests.conftest import write_config


@pytest.fixture
def client(small_config: Path):
    return create_app(small_config).server.test_client()


def test_thumbnail_is_a_png_of_the_sample_revalidated_by_etag(client, small_config: Path):
    response = client.get("/thumbnail/small/7.png?size=60&cmap=gray")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-cache"
    etag = response.headers["ETag"]
    again = client.get("/thumbnail/small/7.png?size=60&cmap=gray", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = client.get("/thumbnail/small/8.png?size=60&cmap=gray", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    picture = Image.open(io.BytesIO(response.data))
    assert picture.size == (50, 60)  # 6 x 5 images, longer side scaled to 60
    # brighter pixels of the sample are brighter in the PNG
    raw = np.load(small_config.parent / "data" / "images.npy")[7]
    grey = np.asarray(picture.convert("L").resize((5, 6), Image.Resampling.NEAREST), float)
    assert np.corrcoef(raw.ravel(), grey.ravel())[0, 1] > 0.9


@pytest.mark.parametrize(
    "url",
    [
        "/thumbnail/other/1.png",  # not a config of the menu
        "/thumbnail/..%2Fsmall/1.png",  # no path tricks
        "/thumbnail/small/120.png",  # index out of range (N = 120)
        "/thumbnail/small/-1.png",
        "/thumbnail/small/1.png?size=100000",  # absurd size
        "/thumbnail/small/1.png?size=abc",
        "/thumbnail/small/1.png?cmap=../../etc",  # unknown colormap
        "/thumbnail/small/1.png?channel=7",  # no such channel
    ],
)
def test_bad_thumbnail_requests_are_404(client, url: str):
    response = client.get(url)
    assert response.status_code == 404 or response.mimetype == "text/html"  # Dash's index page
    assert response.mimetype != "image/png"


def test_no_images_no_thumbnails(tmp_path: Path, small_config: Path):
    config = write_config(tmp_path / "plain.yaml", {"dataset": {"latent": "data/latent.npy"}})
    client = create_app(config).server.test_client()
    assert client.get("/thumbnail/plain/1.png").status_code == 404


def test_thumbnail_etag_changes_when_the_data_does(client, small_config: Path):
    url = "/thumbnail/small/7.png?size=60"
    etag = client.get(url).headers["ETag"]
    images_file = small_config.parent / "data" / "images.npy"
    images = np.load(images_file)
    images[7] = 1.0 - images[7]
    before = images_file.stat().st_mtime
    np.save(images_file, images)  # the registry reloads on the file's modification time,
    os.utime(images_file, (before + 2, before + 2))  # which a coarse clock could leave equal
    answer = client.get(url, headers={"If-None-Match": etag})
    assert answer.status_code == 200 and answer.headers["ETag"] != etag
