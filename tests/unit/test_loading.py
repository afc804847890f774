"""Configs and data loading: every supported format, and each bad input gives its message."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from latent_dash.config import parse_config
from latent_dash.data import open_config, with_data_problems
from latent_dash.errors import ConfigError
from tests.conftest import write_config, write_dataset


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        open_config(path)
    return [str(p) for p in caught.value.problems]


def config_with(tmp_path: Path, **dataset) -> Path:
    files = write_dataset(tmp_path / "data")
    entry = {"latent": f"data/{files['latent']}"}
    entry.update(dataset)
    return write_config(tmp_path / "c.yaml", {"dataset": entry, "layout": "scatter"})


def test_valid_config_loads_every_part(small_config: Path):
    loaded, dataset = open_config(small_config)
    assert (dataset.n, dataset.dims) == (120, 4)
    assert dataset.param_names == ["drive", "p2", "temperature"]
    assert dataset.image_shape == (6, 5)
    assert dataset.images([3, 0]).shape == (2, 6, 5)
    assert [s.kind for s in loaded.views] == ["scatter", "parcoords"]
    assert loaded.views[0].options.model_dump(exclude_unset=True) == {
        "x": "z0",
        "y": "drive",
        "color": "label",
    }
    columns = {c.name: c for c in dataset.columns}
    assert columns["label"].categorical and columns["kind"].categorical
    assert not columns["error"].categorical and columns["drive"].source == "param"
    assert dataset.warnings == []


def test_latent_is_read_only_and_memory_mapped_file_untouched(small_config: Path):
    latent_file = small_config.parent / "data" / "latent.npy"
    before = hashlib.sha256(latent_file.read_bytes()).hexdigest()
    _, dataset = open_config(small_config)
    with pytest.raises(ValueError):
        dataset.latent[0, 0] = 1.0
    assert isinstance(dataset.raw_images, np.memmap)
    assert hashlib.sha256(latent_file.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("fmt", ["npz", "csv", "parquet"])
def test_latent_formats(tmp_path: Path, fmt: str):
    latent = np.arange(30, dtype=np.float32).reshape(10, 3)
    source: dict = {"path": f"latent.{fmt}"}
    if fmt == "npz":
        np.savez(tmp_path / "latent.npz", other=np.zeros(10), z=latent)
        source["key"] = "z"
    else:
        frame = pd.DataFrame(latent, columns=["a", "b", "c"])
        frame["note"] = "text"
        source["columns"] = ["a", "b", "c"]
        frame.to_csv(tmp_path / "latent.csv", index=False) if fmt == "csv" else frame.to_parquet(
            tmp_path / "latent.parquet"
        )
    path = write_config(tmp_path / "c.yaml", {"dataset": {"latent": source}, "layout": "scatter"})
    _, dataset = open_config(path)
    np.testing.assert_array_equal(dataset.latent, latent)
    assert dataset.latent_names == (["z0", "z1", "z2"] if fmt == "npz" else ["a", "b", "c"])


def test_flat_images_fold_with_image_shape(tmp_path: Path):
    np.save(tmp_path / "flat.npy", np.arange(120 * 60, dtype=np.float32).reshape(120, 60))
    path = config_with(tmp_path, images="flat.npy", image_shape=[5, 4, 3])
    _, dataset = open_config(path)
    assert dataset.images([1]).shape == (1, 5, 4, 3)
    assert dataset.images([1])[0, 0, 0, 0] == 60


def test_missing_file_names_file_key_and_fix(tmp_path: Path):
    [message] = problems_of(config_with(tmp_path, params="nope.npy"))
    assert "c.yaml: dataset.params" in message and "nope.npy: file not found" in message
    assert "Fix: check the path" in message


def test_missing_demo_file_says_how_to_build_it(tmp_path: Path):
    path = write_config(tmp_path / "c.yaml", {"dataset": {"demo": "digits", "latent": "z.npy"}})
    [message] = problems_of(path)
    assert "latent-dash demo digits" in message


def test_unsupported_format(tmp_path: Path):
    (tmp_path / "z.txt").write_text("1 2 3")
    [message] = problems_of(write_config(tmp_path / "c.yaml", {"dataset": {"latent": "z.txt"}}))
    assert "unsupported format '.txt'" in message and ".npy, .npz, .csv, .parquet" in message


def test_row_counts_disagree(tmp_path: Path):
    np.save(tmp_path / "p.npy", np.zeros((7, 2), np.float32))
    [message] = problems_of(config_with(tmp_path, params="p.npy"))
    assert "dataset.params: has 7 rows in p.npy but dataset.latent has 120 in data/latent.npy" in (
        message
    )


def test_non_numeric_latent(tmp_path: Path):
    np.save(tmp_path / "s.npy", np.array([["a", "b"]] * 5))
    pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]}).to_csv(tmp_path / "s.csv", index=False)
    for name in ("s.npy", "s.csv"):
        path = write_config(tmp_path / "c.yaml", {"dataset": {"latent": name}})
        [message] = problems_of(path)
        assert "dataset.latent" in message and "numeric" in message


def test_pickled_object_array_is_refused(tmp_path: Path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    [message] = problems_of(write_config(tmp_path / "c.yaml", {"dataset": {"latent": "o.npy"}}))
    assert "pickle" in message and "never loaded" in message


def test_nan_and_inf_rows_are_dropped_with_a_warning(tmp_path: Path):
    latent = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    latent[4, 0], latent[17, 2] = np.nan, np.inf
    np.save(tmp_path / "z.npy", latent)
    images = np.arange(50, dtype=np.float32)[:, None, None] * np.ones((50, 2, 2), np.float32)
    np.save(tmp_path / "im.npy", images)
    path = write_config(tmp_path / "c.yaml", {"dataset": {"latent": "z.npy", "images": "im.npy"}})
    _, dataset = open_config(path)
    assert dataset.n == 48
    assert dataset.warnings == [
        "2 of 50 samples dropped because their latent or parameter values are NaN or inf "
        "(file rows 4, 17)"
    ]
    assert dataset.images([4])[0, 0, 0] == 5  # kept row 4 is file row 5: images follow the drop


def test_fewer_than_two_latent_dims(tmp_path: Path):
    np.save(tmp_path / "z.npy", np.zeros((10, 1), np.float32))
    [message] = problems_of(write_config(tmp_path / "c.yaml", {"dataset": {"latent": "z.npy"}}))
    assert "dataset.latent" in message and "at least 2" in message


@pytest.mark.parametrize(
    ("shape", "expected"),
    [(None, "no image_shape says how to fold them"), ([7, 7], "does not fit rows of 30 values")],
)
def test_image_shape_that_does_not_fit(tmp_path: Path, shape, expected):
    np.save(tmp_path / "flat.npy", np.zeros((120, 30), np.float32))
    extra = {"images": "flat.npy"} | ({"image_shape": shape} if shape else {})
    [message] = problems_of(config_with(tmp_path, **extra))
    assert "dataset.image_shape" in message and expected in message


def test_unknown_view_kind_and_nddav_aliases(tmp_path: Path):
    config_with(tmp_path)
    path = write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {"latent": "data/latent.npy"},
            "layout": {
                "row": [{"column": ["Scatter Plot", "DimReduction"]}, {"column": ["scater"]}]
            },
        },
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    [message] = [str(p) for p in caught.value.problems]
    assert "layout.row.1.column.0: unknown view kind 'scater'" in message
    from latent_dash.kinds import registry

    assert f"Fix: use one of: {', '.join(sorted(registry()))}" in message  # every kind, sorted


def test_two_views_of_one_kind_get_their_own_ids_and_options(tmp_path: Path):
    config_with(tmp_path)
    path = write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {"latent": "data/latent.npy"},
            "layout": {"row": ["scatter", "scatter", "other"]},
            "views": {"scatter": {"x": "z1"}, "other": {"kind": "Scatter Plot", "x": "z2"}},
        },
    )
    loaded, _ = open_config(path)
    assert [(s.id, s.options.model_dump(exclude_unset=True)) for s in loaded.views] == [
        ("scatter", {"x": "z1"}),
        ("scatter-2", {}),
        ("other", {"x": "z2"}),
    ]


def test_view_option_errors(tmp_path: Path):
    config_with(tmp_path)
    path = write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {"latent": "data/latent.npy"},
            "layout": "scatter",
            "views": {"scatter": {"x": "z9", "colour": "z1"}},
        },
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert "views.scatter.colour: unknown key (did you mean 'color'?)" in str(caught.value)
    write_config(
        path,
        {
            "dataset": {"latent": "data/latent.npy"},
            "layout": "scatter",
            "views": {"scatter": {"x": "z9"}},
        },
    )
    [message] = problems_of(path)
    assert "views.scatter.x: no column named 'z9'" in message and "use one of: z0, z1" in message


def test_options_that_take_a_latent_dim_refuse_other_columns(small_config: Path):
    """A parameter is a column, but a projection axis or a peak-shape line must be latent."""
    config = yaml.safe_load(small_config.read_text())
    config["layout"] = {"row": ["projection", "peakshape"]}
    config["views"] = {"projection": {"x": "drive"}, "peakshape": {"dim": "z1"}}
    write_config(small_config, config)
    [message] = problems_of(small_config)
    assert "views.projection.x: no latent dim named 'drive'" in message
    assert "use one of: z0, z1, z2, z3" in message


def test_options_that_take_a_number_refuse_text_columns(small_config: Path):
    """A spine or a peak shape needs a function with values to compare: not a text label."""
    config = yaml.safe_load(small_config.read_text())
    config["layout"] = {"row": ["topology", "peakshape", "images"]}
    config["views"] = {
        "topology": {"function": "kind", "second": "drive"},
        "peakshape": {"function": "error"},
        "images": {"sort_by": "kind"},
    }
    write_config(small_config, config)
    messages = problems_of(small_config)
    assert len(messages) == 2
    assert "views.topology.function: no numeric column named 'kind'" in messages[0]
    assert "views.images.sort_by: no numeric column named 'kind'" in messages[1]
    assert "use one of: z0, z1, z2, z3, drive, p2, temperature, label, error" in messages[0]


def test_unplaced_view_and_unknown_key_and_bad_yaml(tmp_path: Path):
    config_with(tmp_path)
    path = write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {"latent": "data/latent.npy", "latnet_names": ["a"]},
        },
    )
    typo = r"dataset.latnet_names: unknown key \(did you mean 'latent_names'\?\)"
    with pytest.raises(ConfigError, match=typo):
        parse_config(path)
    path.write_text("dataset: {latent: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line"):
        parse_config(path)


def test_duplicate_column_names_across_sources(tmp_path: Path):
    path = config_with(tmp_path, params="data/params.npy", param_names=["z0", "b", "c"])
    [message] = problems_of(path)
    assert "z0" in message and "more than one" in message


# --- every bad file gets a message (issue 14) ----------------------------------------------


def latent_config(tmp_path: Path, name: str, **more) -> Path:
    return write_config(
        tmp_path / "c.yaml", {"dataset": {"latent": name, **more}, "layout": "scatter"}
    )


def test_zero_byte_npy_says_it_is_empty(tmp_path: Path):
    (tmp_path / "z.npy").write_bytes(b"")
    [message] = problems_of(latent_config(tmp_path, "z.npy"))
    assert "dataset.latent" in message and "z.npy: the file is empty (0 bytes)" in message
    assert "Fix: write the data again" in message


def test_cut_short_npy_says_so(tmp_path: Path):
    np.save(tmp_path / "full.npy", np.zeros((100, 3), np.float32))
    (tmp_path / "z.npy").write_bytes((tmp_path / "full.npy").read_bytes()[:200])
    [message] = problems_of(latent_config(tmp_path, "z.npy"))
    assert "the .npy file is cut short or damaged" in message and "np.save" in message


def test_text_file_named_npy_says_what_it_is(tmp_path: Path):
    (tmp_path / "z.npy").write_text("z0,z1\n0.1,0.2\n")
    [message] = problems_of(latent_config(tmp_path, "z.npy"))
    assert "the file is a text file, not a NumPy .npy (it starts with 'z0,z1')" in message
    assert "rename it to .csv" in message and "pickle" not in message


def test_npz_named_npy_and_npy_named_npz(tmp_path: Path):
    np.savez(tmp_path / "a.npz", z=np.zeros((5, 2)))
    (tmp_path / "a.npz").rename(tmp_path / "z.npy")
    [message] = problems_of(latent_config(tmp_path, "z.npy"))
    assert "is a zip archive (a NumPy .npz?), not a NumPy .npy" in message
    assert "Fix: rename it to .npz" in message
    np.save(tmp_path / "y.npy", np.zeros((5, 2)))
    (tmp_path / "y.npy").rename(tmp_path / "y.npz")
    [message] = problems_of(latent_config(tmp_path, "y.npz"))
    assert "is a NumPy .npy file, not a NumPy .npz" in message


def test_empty_npz_says_it_is_empty(tmp_path: Path):
    np.savez(tmp_path / "z.npz")
    [message] = problems_of(latent_config(tmp_path, "z.npz"))
    assert "the .npz file is empty: it holds no arrays" in message


def test_npz_key_typo_gets_did_you_mean(tmp_path: Path):
    np.savez(tmp_path / "z.npz", latent=np.zeros((5, 2)), images=np.zeros((5, 2, 2)))
    [message] = problems_of(latent_config(tmp_path, {"path": "z.npz", "key": "latnet"}))
    assert "dataset.latent.key" in message and "(did you mean 'latent'?)" in message


def test_csv_row_with_fewer_fields_is_refused_with_its_line(tmp_path: Path):
    (tmp_path / "z.csv").write_text("a,b,c\n1,2,3\n4,5\n\n7,8,9\n1,2\n")
    [message] = problems_of(latent_config(tmp_path, "z.csv"))
    # line 3 is the second data row; the blank line 4 is skipped, as pandas does
    assert "line 3, 6 have fewer fields than the header's 3 (line 3 has 2" in message
    assert "one value per header column" in message


def test_text_cell_in_numeric_latent_column_is_refused_with_its_line(tmp_path: Path):
    rows = [f"{i}.0,{i}.5" for i in range(10)]
    rows[3], rows[6] = "3.0,n/a", "?,6.5"
    (tmp_path / "z.csv").write_text("a,b\n" + "\n".join(rows) + "\n")
    [message] = problems_of(latent_config(tmp_path, "z.csv"))
    assert "text ('?', 'n/a') where numbers are expected" in message or (
        "text ('n/a', '?') where numbers are expected" in message
    )
    assert "column a: line 8" in message and "column b: line 5" in message
    assert "leave the cell empty" in message


def test_empty_and_nan_cells_in_a_csv_are_missing_values(tmp_path: Path):
    (tmp_path / "z.csv").write_text("a,b\n1,2\n,3\n4,nan\n5,6\n")
    _, dataset = open_config(latent_config(tmp_path, "z.csv"))
    assert dataset.n == 2
    assert "file rows 1, 2; lines 3, 4 of z.csv" in dataset.warnings[0]


def test_typo_keys_get_did_you_mean(tmp_path: Path):
    files = write_dataset(tmp_path / "data")
    path = write_config(
        tmp_path / "c.yaml",
        {"titel": "x", "dataset": {"latent": f"data/{files['latent']}"}, "layout": "scater"},
    )
    messages = problems_of(path)
    assert any("titel: unknown key (did you mean 'title'?)" in m for m in messages)
    assert any("unknown view kind 'scater' (did you mean 'scatter'?)" in m for m in messages)
    path = write_config(
        tmp_path / "d.yaml",
        {
            "dataset": {"latent": f"data/{files['latent']}"},
            "layout": "scatter",
            "views": {"scatter": {"x": "z00"}},
        },
    )
    [message] = problems_of(path)
    assert "no column named 'z00' (did you mean 'z0'?)" in message


def test_several_problems_are_reported_in_one_pass(tmp_path: Path):
    """A typo'd key, an unknown view, an empty file and a row-count mismatch: all at once."""
    np.save(tmp_path / "z.npy", np.zeros((10, 3), np.float32))
    np.save(tmp_path / "p.npy", np.zeros((9, 2), np.float32))
    (tmp_path / "m.npy").write_bytes(b"")
    path = write_config(
        tmp_path / "c.yaml",
        {
            "titel": "x",
            "dataset": {"latent": "z.npy", "params": "p.npy", "images": "m.npy"},
            "layout": {"row": ["scater", "parcoords"]},
            "views": {"parcoords": {"colour": "z0"}},
        },
    )
    with pytest.raises(ConfigError) as caught:
        open_config(path)
    text = str(with_data_problems(path, caught.value))
    assert "titel: unknown key" in text
    assert "unknown view kind 'scater'" in text
    assert "views.parcoords.colour: unknown key (did you mean 'color'?)" in text
    assert "dataset.images" in text and "the file is empty (0 bytes)" in text
    assert "dataset.params: has 9 rows in p.npy but dataset.latent has 10 in z.npy" in text
