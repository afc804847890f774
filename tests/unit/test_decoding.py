"""Decoders: loading and checking `dataset.decoder`, decoding, and the two views' pure parts."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import plotly
import pytest
from PIL import Image

from latent_dash import decoding
from latent_dash.data import open_config
from latent_dash.decoding import decode, interpolation_latents, traversal_latents
from latent_dash.demo import build_demo
from latent_dash.errors import ConfigError
from latent_dash.imaging import to_rgb
from tests.conftest import write_config, write_dataset


def write_decoder(path: Path, dims: int = 4, shape=(6, 5), seed: int = 1) -> Path:
    """A small demo-style decoder .npz: dims -> 16 -> H*W, tanh."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    np.savez(
        path,
        W0=rng.normal(size=(dims, 16)).astype(np.float32),
        b0=rng.normal(size=16).astype(np.float32),
        W1=rng.normal(scale=0.3, size=(16, size)).astype(np.float32),
        b1=np.full(size, 0.5, dtype=np.float32),
        activation=np.array("tanh"),
        image_shape=np.array(shape, dtype=np.int64),
    )
    return path


def decoder_config(tmp_path: Path, decoder: str | None, layout=None, views=None) -> Path:
    """A config over write_dataset's 120 samples (4 dims, 6x5 images) with this decoder."""
    files = write_dataset(tmp_path / "data")
    dataset = {f: f"data/{name}" for f, name in files.items()}
    if decoder is not None:
        dataset["decoder"] = decoder
    config = {"dataset": dataset, "layout": layout or {"row": ["scatter", "traversal"]}}
    if views:
        config["views"] = views
    return write_config(tmp_path / "model.yaml", config)


@pytest.fixture
def npz_config(tmp_path: Path) -> Path:
    write_decoder(tmp_path / "decoder.npz")
    return decoder_config(tmp_path, "decoder.npz")


def problem_of(config: Path):
    with pytest.raises(ConfigError) as caught:
        open_config(config)
    [problem] = caught.value.problems
    assert problem.key == "dataset.decoder"
    assert problem.file == str(config.resolve())
    assert problem.fix
    return problem


# --- loading ------------------------------------------------------------------------------


def test_npz_decoder_decodes_one_image_per_row(npz_config: Path, monkeypatch):
    _, dataset = open_config(npz_config)
    assert dataset.decoder.image_shape == (6, 5)
    assert dataset.decoder.dims == 4
    monkeypatch.setattr(decoding, "CHUNK_ROWS", 3)  # several chunks
    images = decode(dataset, dataset.latent[:7])
    assert images.shape == (7, 6, 5) and images.dtype == np.float32
    assert np.allclose(images[4], decode(dataset, dataset.latent[4])[0], atol=1e-6)
    with pytest.raises(ValueError, match=r"\(M, 4\)"):
        decode(dataset, np.zeros((2, 3)))


def test_no_decoder_runs_nothing(tmp_path: Path):
    (tmp_path / "sneaky.py").write_text("raise SystemExit('imported')\n")
    _, dataset = open_config(decoder_config(tmp_path, None))
    assert dataset.decoder is None
    assert "sneaky" not in sys.modules
    with pytest.raises(LookupError, match=r"dataset\.decoder"):
        decode(dataset, dataset.latent[:1])


def test_function_beside_the_config(tmp_path: Path):
    (tmp_path / "beside_decoder.py").write_text(
        "import numpy as np\n"
        "def decode(z):\n"
        "    return np.repeat(z[:, :1, None], 30, axis=1).reshape(len(z), 6, 5)\n"
    )
    path_before = list(sys.path)
    _, dataset = open_config(decoder_config(tmp_path, "beside_decoder:decode"))
    assert sys.path == path_before  # the config's folder was searched, then removed
    images = decode(dataset, dataset.latent[:3])
    assert np.allclose(images[:, 2, 3], dataset.latent[:3, 0])


@pytest.mark.parametrize(
    ("module", "spec", "expected"),
    [
        (None, "missing.npz", "not found"),
        (None, "data/latent.npy", "is not a decoder .npz"),
        (None, "no_such_module_xyz:decode", "cannot import 'no_such_module_xyz'"),
        ("raise RuntimeError('boom')\n", "broken_mod:decode", "RuntimeError: boom"),
        ("X = 1\n", "attr_mod:decode", "has no attribute 'decode'"),
        ("decode = 42\n", "value_mod:decode", "is a int, not a function"),
        (
            "def decode(z):\n    raise ValueError('bad input')\n",
            "raising_mod:decode",
            "fails on the first latent row: ValueError: bad input",
        ),
        (
            "import numpy as np\ndef decode(z):\n    return np.zeros((len(z), 30))\n",
            "flat_mod:decode",
            "returns shape (1, 30) for one latent row of shape (1, 4); expected (1, 6, 5)",
        ),
        (
            "import numpy as np\ndef decode(z):\n    return np.full((len(z), 6, 5), np.nan)\n",
            "nan_mod:decode",
            "NaN or inf",
        ),
        (
            "import numpy as np\ndef decode(z):\n    return np.full((len(z), 6, 5), 'x')\n",
            "text_mod:decode",
            "not numbers",
        ),
    ],
)
def test_decoder_problems(tmp_path: Path, module, spec: str, expected: str):
    if module is not None:
        (tmp_path / f"{spec.split(':')[0]}.py").write_text(module)
    problem = problem_of(decoder_config(tmp_path, spec))
    assert expected in problem.message


def test_npz_problems(tmp_path: Path):
    np.savez(tmp_path / "partial.npz", W0=np.zeros((4, 3)), activation=np.array("tanh"))
    assert "lacks the arrays b0" in problem_of(decoder_config(tmp_path, "partial.npz")).message
    write_decoder(tmp_path / "wide.npz", dims=16)
    problem = problem_of(decoder_config(tmp_path, "wide.npz"))
    assert "takes 16-D latent vectors but dataset.latent has 4 dims" in problem.message
    write_decoder(tmp_path / "big.npz", shape=(8, 8))
    problem = problem_of(decoder_config(tmp_path, "big.npz"))
    assert "expected (1, 6, 5) (the shape of dataset.images)" in problem.message
    np.savez(tmp_path / "pickled.npz", W0=np.array([object()], dtype=object))
    assert "pickle" in problem_of(decoder_config(tmp_path, "pickled.npz")).message


def test_callable_spec_or_path():
    assert decoding.is_callable_spec("pkg.module:function")
    assert decoding.is_callable_spec("m:Class.method")
    assert not decoding.is_callable_spec("models/decoder.npz")
    assert not decoding.is_callable_spec(r"C:\models\decoder.npz")


# --- the demo's decoder reproduces its stored reconstructions -----------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build_demo(
        "digits", root=tmp_path_factory.mktemp("demo"), progress=False, n=150, max_iter=5
    )


@pytest.mark.parametrize("latent", [10, 16])
def test_demo_decoder_gives_the_stored_reconstructions(demo: Path, latent: int):
    config = write_config(
        demo / f"check-{latent}.yaml",
        {
            "dataset": {
                "latent": f"latent-{latent}d.npy",
                "images": "images.npy",
                "decoder": f"decoder-{latent}d.npz",
            },
        },
    )
    _, dataset = open_config(config)
    stored = np.load(demo / f"reconstructions-{latent}d.npy")
    assert np.allclose(decode(dataset, dataset.latent), stored, atol=1e-6)


# --- latent paths ---------------------------------------------------------------------------


def test_traversal_latents_vary_one_dim_at_a_time():
    base = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    lo, hi = np.array([-1.0, 0.0, 10.0]), np.array([1.0, 4.0, 20.0])
    rows, values = traversal_latents(base, [2, 0], lo, hi, 5)
    assert rows.shape == (10, 3) and values.shape == (2, 5)
    assert np.allclose(values[0], [10, 12.5, 15, 17.5, 20])
    assert np.allclose(values[1], [-1, -0.5, 0, 0.5, 1])
    assert np.allclose(rows[:5, 2], values[0]) and np.allclose(rows[:5, :2], [1, 2])
    assert np.allclose(rows[5:, 0], values[1]) and np.allclose(rows[5:, 1:], [2, 3])


def test_interpolation_latents_end_at_both_samples():
    a, b = np.array([0.1, -3.0], np.float32), np.array([2.0, 5.0], np.float32)
    path = interpolation_latents(a, b, 8)
    assert path.shape == (8, 2)
    assert np.array_equal(path[0], a) and np.array_equal(path[-1], b)
    assert np.allclose(np.diff(path, axis=0), (b - a) / 7, atol=1e-6)


# --- the views' images ------------------------------------------------------------------------


def png_pixels(uri: str) -> np.ndarray:
    data = base64.b64decode(uri.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("cmap", ["gray", "viridis"])
def test_compact_png_has_to_rgb_pixels(cmap: str):
    from latent_dash.views.image_uris import png_uri

    image = np.random.default_rng(0).random((9, 7)).astype(np.float32)
    pixels = png_pixels(png_uri(image, 0.1, 0.9, cmap, 64)).astype(int)
    expected = to_rgb(image, 0.1, 0.9, cmap).astype(int)
    assert np.abs(pixels - expected).max() <= (2 if cmap == "gray" else 0)
    small = png_pixels(png_uri(np.zeros((128, 64)), 0.0, 1.0, cmap, 32))
    assert small.shape == (32, 16, 3)  # large images are scaled down, never up


def test_traversal_grid_and_interpolation_strip(npz_config: Path):
    from latent_dash.views import interpolation, traversal

    _, dataset = open_config(npz_config)
    grid = traversal.traversal_grid(dataset, 5, ["z1", "z3"], 4, 1.0, "0", "gray", 64)
    text = json.dumps(grid, cls=plotly.utils.PlotlyJSONEncoder)
    assert len(re.findall(r'"traversal-cell[ "]', text)) == 8
    assert text.count("traversal-nearest") == 2
    rows, _ = traversal_latents(dataset.latent[5], [1, 3], *decoding.latent_ranges(dataset, 1.0), 4)
    expected = traversal.decoded_uris(dataset, decode(dataset, rows), "0", "gray", 64)
    assert all(uri in text for uri in expected)

    strip, caption = interpolation.interpolation_strip(dataset, 3, 10, 5, "0", "gray", 64)
    text = json.dumps(strip, cls=plotly.utils.PlotlyJSONEncoder)
    ends = traversal.decoded_uris(
        dataset, decode(dataset, dataset.latent[[3, 10]]), "0", "gray", 64
    )
    cells = [c["props"]["src"] for c in json.loads(text)[1]["props"]["children"]]
    assert len(cells) == 5 and cells[0] == ends[0] and cells[-1] == ends[1]
    assert "sample 3 to sample 10" in caption


def test_traversal_response_size_for_64px_images(tmp_path: Path):
    """10 dims x 7 steps of 64x64 decoded images stay a small response (a demo-trained decoder)."""
    from latent_dash.views import traversal

    folder = build_demo("implosion", root=tmp_path, progress=False, n=120, size=64, max_iter=3)
    config = write_config(
        folder / "check.yaml",
        {
            "dataset": {
                "latent": "latent-10d.npy",
                "images": "images.npy",
                "decoder": "decoder-10d.npz",
            }
        },
    )
    _, dataset = open_config(config)
    children, _ = traversal.render(dataset, 0, None, 7, 1.0, "0", "gray", 64)
    text = json.dumps(children, cls=plotly.utils.PlotlyJSONEncoder)
    assert len(re.findall(r'"traversal-cell[ "]', text)) == 70
    assert len(text) < 300_000, len(text)
