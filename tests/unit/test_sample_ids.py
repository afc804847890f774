"""A sample is its row in the user's files everywhere it is shown or exported, even when rows
with NaN values were dropped at load (positions are internal; masks are over positions)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latent_dash.data import open_config
from latent_dash.ui.selection_bar import selection_npy, selection_table
from latent_dash.views import interpolation, neighbors, table
from latent_dash.views.common import hover_card
from tests.conftest import write_config

N = 40
DROPPED = [0, 5, 17, 18, 39]  # file rows with a NaN latent or parameter value


@pytest.fixture
def dropped_config(tmp_path: Path) -> Path:
    """Latent (.npy), params (.csv) and metadata (.csv, an id per row) with NaN rows."""
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(N, 3)).astype(np.float32)
    latent[[0, 17, 39], 1] = np.nan
    params = pd.DataFrame({"drive": rng.uniform(size=N), "temperature": rng.uniform(size=N)})
    params.loc[[5, 18], "drive"] = np.nan
    np.save(tmp_path / "latent.npy", latent)
    params.to_csv(tmp_path / "params.csv", index=False)
    ids = pd.DataFrame({"sample_id": [f"run-{i:03d}" for i in range(N)], "label": np.arange(N) % 3})
    ids.to_csv(tmp_path / "metadata.csv", index=False)
    return write_config(
        tmp_path / "c.yaml",
        {
            "dataset": {"latent": "latent.npy", "params": "params.csv", "metadata": "metadata.csv"},
            "layout": "scatter",
        },
    )


def texts(component) -> str:
    """Every string inside a Dash component tree, joined."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    children = getattr(component, "children", None)
    own = [getattr(component, a, None) for a in ("title", "alt")]
    return " ".join(
        [texts(c) for c in own if c] + ([texts(children)] if children is not None else [])
    )


def test_load_warning_names_the_dropped_file_rows(dropped_config: Path):
    _, dataset = open_config(dropped_config)
    assert dataset.n == N - len(DROPPED)
    assert "file rows 0, 5, 17, 18, 39" in dataset.warnings[0]
    kept = np.setdiff1d(np.arange(N), DROPPED)
    np.testing.assert_array_equal(dataset.file_rows(np.arange(dataset.n)), kept)
    assert dataset.position_of(6) == 4 and dataset.position_of(5) is None
    assert dataset.position_of(N) is None and dataset.position_of(-1) is None


def test_export_joins_back_to_the_source_files_exactly(dropped_config: Path):
    """Drop rows, select, export (CSV and .npy), join the export back to the files by index."""
    _, dataset = open_config(dropped_config)
    mask = np.zeros(dataset.n, dtype=bool)
    mask[[0, 4, 5, 14, 15, dataset.n - 1]] = True  # positions around every dropped row
    rows = np.flatnonzero(mask)

    exported = pd.read_csv(io.StringIO(selection_table(dataset, rows).to_csv(index=False)))
    source_latent = np.load(dropped_config.parent / "latent.npy")
    source_params = pd.read_csv(dropped_config.parent / "params.csv")
    source_meta = pd.read_csv(dropped_config.parent / "metadata.csv")
    joined = exported.merge(
        source_meta, left_on="index", right_index=True, suffixes=("", "_file"), validate="1:1"
    )
    assert len(joined) == len(rows)
    assert exported["index"].tolist() == [1, 6, 7, 16, 19, 38]
    assert (joined["sample_id"] == joined["sample_id_file"]).all()
    np.testing.assert_array_equal(
        exported[["z0", "z1", "z2"]].to_numpy(np.float32), source_latent[exported["index"]]
    )
    np.testing.assert_allclose(
        exported[["drive", "temperature"]].to_numpy(),
        source_params.to_numpy()[exported["index"]],
        rtol=1e-6,  # params are kept as float32
    )

    npy = np.load(io.BytesIO(selection_npy(dataset, rows)))
    assert npy.dtype == np.int64
    assert npy.tolist() == exported["index"].tolist()
    assert source_meta["sample_id"][npy].tolist() == exported["sample_id"].tolist()


def test_table_hover_and_neighbours_show_file_rows(dropped_config: Path):
    _, dataset = open_config(dropped_config)
    (record,) = table.block_records(dataset, np.array([5]))  # position 5 is file row 7
    assert record[table.INDEX_FIELD] == 5 and record[table.FILE_ROW_FIELD] == 7
    index_column = table.column_defs(dataset)[0]
    assert index_column["field"] == table.FILE_ROW_FIELD
    order = table.row_order(dataset, None, [{"colId": table.FILE_ROW_FIELD, "sort": "desc"}])
    assert order[:2].tolist() == [dataset.n - 1, dataset.n - 2]

    shown, _, card = hover_card(dataset, "c", {"index": 5, "bbox": {}}, ["sample_id"])
    assert shown and "sample 7" in texts(card) and "sample_id = run-007" in texts(card)

    listing = neighbors.neighbour_list(
        dataset, "c", "v", "latent", np.array([4, 5]), np.array([0.5, 1.0]), set(), set()
    )
    words = texts(listing)
    assert "#6" in words and "#7" in words and "#4" not in words and "#5" not in words
    heading = neighbors.results(dataset, "c", "v", 5, 3, "euclidean")[0]
    assert "Neighbours of sample 7" in texts(heading)


def test_interpolation_ends_are_file_rows(dropped_config: Path):
    _, dataset = open_config(dropped_config)
    assert interpolation.valid_sample(dataset, 6) and not interpolation.valid_sample(dataset, 5)
    _, text = interpolation.render(dataset, 5, 6, 4, "0", "gray", 32)
    assert "rows dropped at load for NaN values are not samples" in text
    assert interpolation.pick_ends("focus", 7, True, 1, 6) == (6, 7)
    assert interpolation.pick_ends({"part": "use-a"}, 7, False, 1, 6)[0] == 7


def test_without_dropped_rows_positions_are_file_rows(small_config: Path):
    _, dataset = open_config(small_config)
    assert dataset.source_rows is None
    assert dataset.file_row(7) == 7 and dataset.position_of(7) == 7
    assert dataset.position_of(dataset.n) is None
