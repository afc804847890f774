"""The Python API: add_data through the config loader, its messages, save and reload."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from latent_dash import DataError, Explorer
from latent_dash.data import open_config
from latent_dash.decoding import decode
from tests.conftest import write_config, write_dataset
from tests.unit.test_decoding import write_decoder

TOP = Path(__file__).resolve().parents[2]


def arrays(n: int = 60, dims: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    return {
        "latent": rng.normal(size=(n, dims)).astype(np.float32),
        "images": rng.random((n, 6, 5)).astype(np.float32),
        "params": rng.uniform(size=(n, 3)),
        "metadata": pd.DataFrame(
            {"label": rng.integers(0, 3, n), "kind": rng.choice(["a", "b"], n)}
        ),
    }


def halve(z: np.ndarray) -> np.ndarray:
    """An importable decoder: (M, 4) -> (M, 6, 5)."""
    return np.repeat(z[:, :1] / 2, 30, axis=1).reshape(len(z), 6, 5)


def test_round_trip_with_arrays(tmp_path: Path):
    data = arrays()
    vis = Explorer()
    dataset = vis.add_data(
        data["latent"],
        images=data["images"],
        params=data["params"],
        metadata=data["metadata"],
        name="run 42",
        latent_names=["a", "b", "c", "d"],
        param_names=["drive", "p2", "temperature"],
    )
    assert (dataset.n, dataset.dims, dataset.name) == (60, 4, "run 42")
    config = vis.save(tmp_path / "saved")
    assert config == (tmp_path / "saved" / "config.yaml").resolve()
    moved = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "saved", moved)  # relative paths: the folder can move
    _, loaded = open_config(moved / "config.yaml")
    assert np.array_equal(loaded.latent, data["latent"])
    assert np.array_equal(loaded.images(np.arange(60)), data["images"])
    assert np.allclose(loaded.params, data["params"].astype(np.float32))
    assert loaded.latent_names == ["a", "b", "c", "d"]
    assert loaded.param_names == ["drive", "p2", "temperature"]
    assert loaded.metadata.equals(data["metadata"])
    raw = yaml.safe_load(config.read_text())
    assert raw["dataset"]["latent"] == "run-42/latent.npy"
    assert raw["layout"] == {"row": [{"column": ["scatter", "parcoords"]}, {"column": ["images"]}]}


def test_round_trip_with_dataframes(tmp_path: Path):
    data = arrays()
    latent = pd.DataFrame(data["latent"], columns=["u", "v", "w", "x"], index=np.arange(60) + 7)
    params = pd.DataFrame(data["params"], columns=["drive", "p2", "t"])
    vis = Explorer(layout={"row": [{"column": ["Scatter Plot"]}]}, views={"scatter": {"x": "t"}})
    dataset = vis.add_data(latent, params=params, metadata={"label": data["metadata"]["label"]})
    assert dataset.latent_names == ["u", "v", "w", "x"]
    assert dataset.param_names == ["drive", "p2", "t"]
    _, loaded = open_config(vis.save(tmp_path / "out"))
    assert loaded.latent_names == ["u", "v", "w", "x"]
    assert np.array_equal(loaded.latent, data["latent"])
    assert np.allclose(loaded.params, data["params"].astype(np.float32))
    assert list(loaded.metadata["label"]) == list(data["metadata"]["label"])


def test_save_never_overwrites_unless_asked(tmp_path: Path):
    vis = Explorer()
    vis.add_data(arrays()["latent"])
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        vis.save(target)
    vis.save(target, overwrite=True)
    assert (target / "notes.txt").read_text() == "mine"
    assert open_config(target / "config.yaml")[1].n == 60


def test_several_datasets_are_a_menu(tmp_path: Path):
    vis = Explorer()
    vis.add_data(arrays(dims=4)["latent"], name="small")
    vis.add_data(arrays(dims=6)["latent"], name="wide")
    vis.add_data(arrays(n=30, dims=4)["latent"], name="small")  # replaces the first
    vis.save(tmp_path / "menu")
    assert open_config(tmp_path / "menu" / "config.yaml")[1].n == 30
    assert open_config(tmp_path / "menu" / "wide.yaml")[1].dims == 6


def test_row_count_mismatch_names_the_arguments():
    data = arrays()
    with pytest.raises(DataError) as caught:
        Explorer().add_data(data["latent"], params=data["params"][:50])
    text = str(caught.value)
    assert "add_data(params=...): has 50 rows but add_data(latent=...) has 60" in text
    assert "one row per sample" in text
    assert "/tmp" not in text and "dataset." not in text
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"latent_names": ["x"]}, "add_data(latent_names=...): 1 names given for 4 columns"),
        ({"images": np.zeros((60, 30))}, "add_data(image_shape=...): the array holds flat images"),
        ({"images": np.zeros((60, 30)), "image_shape": [4, 4]}, "[4, 4] does not fit rows of 30"),
        ({"decoder": 42}, "add_data(decoder=...): a int is not a decoder"),
        ({"decoder": "no/such/decoder.npz"}, "add_data(decoder=...): decoder file"),
    ],
)
def test_add_data_problems(kwargs, expected: str):
    with pytest.raises(DataError) as caught:
        Explorer().add_data(arrays()["latent"], **kwargs)
    assert expected in str(caught.value)


def test_non_numeric_latent():
    with pytest.raises(DataError, match=r"add_data\(latent=\.\.\.\): the values are not numeric"):
        Explorer().add_data(np.array([["a", "b"]] * 10))
    frame = pd.DataFrame({"z0": np.arange(5.0), "z1": list("abcde")})
    with pytest.raises(DataError, match="non-numeric column"):
        Explorer().add_data(frame)


def test_nan_rows_are_dropped_with_a_warning():
    latent = arrays()["latent"]
    latent[[3, 17], 1] = np.nan
    with pytest.warns(UserWarning, match=r"2 of 60 samples dropped .* \(rows 3, 17\)"):
        dataset = Explorer().add_data(latent)
    assert dataset.n == 58


def test_layout_and_views_are_checked_early():
    with pytest.raises(DataError, match=r"Explorer\(layout=\.\.\.\).*unknown view kind 'nope'"):
        Explorer(layout={"row": [{"column": ["Scatter Plot", "nope"]}]})
    vis = Explorer(layout={"row": ["scatter"]}, views={"scatter": {"x": "missing"}})
    with pytest.raises(DataError, match=r"Explorer\(views=\.\.\.\): scatter\.x: no column"):
        vis.add_data(arrays()["latent"])


def test_layout_from_a_config_file(tmp_path: Path):
    files = write_dataset(tmp_path / "data")
    config = write_config(
        tmp_path / "model.yaml",
        {
            "title": "From a file",
            "dataset": {"latent": f"data/{files['latent']}"},
            "layout": {"row": ["Scatter Plot", "Parallel Coordinate"]},
            "views": {"scatter": {"x": "z1"}},
        },
    )
    vis = Explorer(layout=config)
    assert vis._start_config() == config.resolve()  # shows the file's own data until add_data
    vis.add_data(arrays()["latent"])
    raw = yaml.safe_load(vis.save(tmp_path / "saved").read_text())
    assert raw["layout"] == {"row": ["Scatter Plot", "Parallel Coordinate"]}
    assert raw["views"] == {"scatter": {"x": "z1"}}
    assert raw["title"] == "From a file"


# --- decoders through the API ----------------------------------------------------------------


def test_importable_decoder_is_saved_by_name(tmp_path: Path):
    data = arrays()
    vis = Explorer()
    dataset = vis.add_data(data["latent"], images=data["images"], decoder=halve)
    assert np.allclose(decode(dataset, data["latent"][:3]), halve(data["latent"][:3]))
    config = vis.save(tmp_path / "saved")
    assert yaml.safe_load(config.read_text())["dataset"]["decoder"] == ("tests.unit.test_api:halve")
    assert open_config(config)[1].decoder is not None


def test_lambda_decoder_works_but_is_not_saved(tmp_path: Path):
    data = arrays()
    vis = Explorer()
    dataset = vis.add_data(data["latent"], decoder=lambda z: np.zeros((len(z), 4, 4)))
    assert dataset.decoder.image_shape == (4, 4)
    with pytest.warns(UserWarning, match="is not saved"):
        config = vis.save(tmp_path / "saved")
    assert "decoder" not in yaml.safe_load(config.read_text())["dataset"]


def test_decoder_arrays_and_npz_are_saved(tmp_path: Path):
    data = arrays()
    path = write_decoder(tmp_path / "decoder.npz")
    with np.load(path) as npz:
        as_dict = {k: npz[k] for k in npz.files}
    for decoder in (path, str(path), as_dict):
        vis = Explorer()
        vis.add_data(data["latent"], images=data["images"], decoder=decoder)
        _, loaded = open_config(vis.save(tmp_path / "saved", overwrite=True))
        assert loaded.decoder.image_shape == (6, 5)


def test_decoder_problems_name_the_argument_and_the_function():
    data = arrays()

    def flat(z):
        return np.zeros((len(z), 30))

    with pytest.raises(DataError) as caught:
        Explorer().add_data(data["latent"], images=data["images"], decoder=flat)
    text = str(caught.value)
    assert "add_data(decoder=...): " in text
    assert "flat returns shape (1, 30)" in text
    assert "expected (1, 6, 5) (the shape of add_data(images=...))" in text
    assert "latent_dash.api:" not in text


def test_selection_hook_keeps_the_last_selection():
    vis = Explorer()
    vis.add_data(arrays()["latent"])
    assert vis.selection.size == 0
    vis._on_selection("data", np.array([2, 5, 9]))
    assert vis.selection.tolist() == [2, 5, 9]
    assert vis.selection_dataset == "data"
    vis._on_selection("data", None)
    assert vis.selection.size == 0


def test_show_needs_data_and_a_known_mode():
    with pytest.raises(RuntimeError, match="add_data"):
        Explorer().show()
    vis = Explorer()
    vis.add_data(arrays()["latent"])
    with pytest.raises(ValueError, match="mode"):
        vis.show(mode="window")


def test_failed_add_data_leaves_no_files():
    vis = Explorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError):
            vis.add_data(arrays()["latent"], params=np.zeros((3, 2)))
    assert list(vis._work.iterdir()) == []


def test_example_runs_without_serving(tmp_path: Path):
    out = tmp_path / "digits"
    result = subprocess.run(
        [
            sys.executable,
            str(TOP / "examples" / "explore_digits.py"),
            "--no-serve",
            "--epochs",
            "3",
            "--n",
            "200",
            "--save",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=TOP,
    )
    assert result.returncode == 0, result.stderr
    assert "added 200 samples x 10 latent dims" in result.stdout
    _, dataset = open_config(out / "config.yaml")
    assert dataset.n == 200 and dataset.decoder.image_shape == (8, 8)
    assert dataset.latent_names[:2] == ["z0", "z1"]


def test_layout_and_views_may_hold_tuples_and_numpy_values(tmp_path: Path):
    vis = Explorer(
        layout={"row": ("scatter", {"column": ("table",)})},
        views={"scatter": {"x": np.str_("z1")}, "table": {"title": "Rows"}},
    )
    vis.add_data(arrays()["latent"])
    loaded, _ = open_config(vis.save(tmp_path / "saved"))
    assert [s.kind for s in loaded.views] == ["scatter", "table"]
    assert loaded.views[0].options.x == "z1"
