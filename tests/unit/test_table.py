"""The table's row blocks (selection + sort + slice) against a brute-force pandas answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dash._utils import to_json

from latent_dash.data import Dataset
from latent_dash.views.table import (
    BLOCK_SIZE,
    INDEX_FIELD,
    block_records,
    caption_text,
    column_defs,
    field_names,
    row_block,
    row_order,
)


def make_dataset(n: int = 300, dims: int = 3, params: int = 2, seed: int = 0) -> Dataset:
    """Columns with ties (rounded values, labels), NaNs, text and missing text."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, dims)).astype(np.float32)
    latent[:, 0] = np.round(latent[:, 0])  # many ties: stability matters
    error = rng.random(n)
    error[rng.random(n) < 0.1] = np.nan
    kind = rng.choice(["round", "oval", "flat"], n).astype(object)
    kind[rng.random(n) < 0.05] = None
    metadata = pd.DataFrame(
        {
            "label": rng.integers(0, 4, n),
            "error": error,
            "kind": kind,
        }
    )
    return Dataset(
        name="t",
        latent=latent,
        latent_names=[f"z{i}" for i in range(dims)],
        params=rng.uniform(size=(n, params)).astype(np.float32),
        param_names=[f"p{i}" for i in range(params)],
        metadata=metadata,
    )


def frame(dataset: Dataset) -> pd.DataFrame:
    """The whole table as pandas sees it, with the grid's field names."""
    fields = field_names(dataset)
    data = {INDEX_FIELD: np.arange(dataset.n)}
    data.update({f: np.asarray(dataset.column(name)) for f, name in fields.items()})
    return pd.DataFrame(data)


def brute_force(dataset, mask, sort_model, start, end):
    """The expected sample indices of rows start..end-1 and the total, by pandas."""
    df = frame(dataset)
    if mask is not None:
        df = df[mask]
    if sort_model:
        df = df.sort_values(
            by=[s["colId"] for s in sort_model],
            ascending=[s["sort"] == "asc" for s in sort_model],
            kind="stable",
            na_position="last",
        )
    return df[INDEX_FIELD].to_numpy()[start:end].tolist(), len(df)


SORTS = [
    [],
    [{"colId": "c0", "sort": "asc"}],  # z0, rounded: ties
    [{"colId": "c0", "sort": "desc"}],
    [{"colId": "c6", "sort": "asc"}],  # error, with NaN
    [{"colId": "c6", "sort": "desc"}],
    [{"colId": "c7", "sort": "asc"}],  # kind, text with missing values
    [{"colId": "c7", "sort": "desc"}],
    [{"colId": "c5", "sort": "desc"}, {"colId": "c0", "sort": "asc"}],  # label, then z0
    [{"colId": INDEX_FIELD, "sort": "desc"}],
]


@pytest.mark.parametrize("sort_model", SORTS)
@pytest.mark.parametrize("selected", [None, 0.5, 0.02])
def test_row_block_matches_pandas(sort_model, selected):
    dataset = make_dataset()
    assert list(field_names(dataset).values())[5:8] == ["label", "error", "kind"]
    rng = np.random.default_rng(7)
    mask = None if selected is None else rng.random(dataset.n) < selected
    for start, end in [(0, 50), (50, 100), (250, 300), (280, 330), (400, 450)]:
        rows, total = row_block(dataset, mask, sort_model, start, end)
        expected, expected_total = brute_force(dataset, mask, sort_model, start, end)
        assert total == expected_total
        assert [r[INDEX_FIELD] for r in rows] == expected


def test_unknown_columns_and_directions_are_ignored():
    dataset = make_dataset(n=40)
    model = [{"colId": "nope", "sort": "asc"}, {"colId": "c1", "sort": None}]
    assert row_order(dataset, None, model).tolist() == list(range(40))


def test_empty_selection_has_no_rows():
    dataset = make_dataset(n=40)
    rows, total = row_block(dataset, np.zeros(40, bool), [{"colId": "c1", "sort": "asc"}], 0, 50)
    assert (rows, total) == ([], 0)


def test_records_keep_every_digit_and_are_json_safe():
    dataset = make_dataset(n=30)
    rows = np.array([3, 0, 17])
    records = block_records(dataset, rows)
    fields = field_names(dataset)
    for record, i in zip(records, rows, strict=True):
        assert record[INDEX_FIELD] == i
        for field, name in fields.items():
            value = np.asarray(dataset.column(name))[i]
            got = record[field]
            if pd.isna(value):
                assert got is None
            elif isinstance(value, np.floating) and value.dtype == np.float32:
                assert np.float32(got) == value  # the same float32, not a rounded one
                assert len(repr(got)) <= 16  # in its shortest form, not float64 noise
            else:
                assert got == value
    assert "NaN" not in to_json(records)


def test_one_block_at_scale_stays_small():
    """N = 100,000, D = 16 + 5 params + 5 metadata, half selected: one 50-row block."""
    rng = np.random.default_rng(1)
    n = 100_000
    metadata = pd.DataFrame(
        {
            "label": rng.integers(0, 10, n),
            "error": rng.random(n),
            "kind": rng.choice(["round", "oval", "flat"], n),
            "energy": rng.normal(size=n) * 1e3,
            "run": rng.integers(0, 100_000, n),
        }
    )
    dataset = Dataset(
        name="big",
        latent=rng.normal(size=(n, 16)).astype(np.float32),
        latent_names=[f"z{i}" for i in range(16)],
        params=rng.uniform(size=(n, 5)).astype(np.float32),
        param_names=[f"p{i}" for i in range(5)],
        metadata=metadata,
    )
    mask = rng.random(n) < 0.5
    rows, total = row_block(dataset, mask, [{"colId": "c3", "sort": "desc"}], 5000, 5050)
    assert len(rows) == BLOCK_SIZE and total == int(mask.sum())
    size = len(to_json({"rowData": rows, "rowCount": total}).encode())
    assert size < 30_000, size  # ~22 kB


def test_caption_and_columns():
    assert caption_text(1797, None) == "all 1,797 samples; select in any view to narrow"
    assert caption_text(1797, 1234) == "1,234 selected samples"
    assert caption_text(120, 5, 17) == "5 selected samples · focus: sample 17"
    dataset = make_dataset(n=20)
    defs = column_defs(dataset)
    assert [d["headerName"] for d in defs] == [
        "index",
        "z0",
        "z1",
        "z2",
        "p0",
        "p1",
        "label",
        "error",
        "kind",
    ]
    formatted = [d["headerName"] for d in defs if "valueFormatter" in d]
    assert formatted == ["z0", "z1", "z2", "p0", "p1", "error"]  # floats only, not labels


# ---------------------------------------------------------------- the row route


@pytest.fixture
def rows_client(tmp_path):
    from latent_dash.app import create_app
    from tests.conftest import write_config, write_dataset

    files = write_dataset(tmp_path / "data", n=120)
    config = write_config(
        tmp_path / "rows.yaml",
        {"dataset": {k: f"data/{v}" for k, v in files.items()}, "layout": {"row": ["table"]}},
    )
    return create_app(config, warm_up=False).server.test_client()


def rows_body(**changes):
    body = {"config": "rows", "model": 0, "mask": None, "filter": None, "sort": [],
            "start": 0, "end": 50, "focus": None}  # fmt: skip
    return body | changes


def test_the_row_route_answers_the_selected_rows_and_the_caption(rows_client):
    from latent_dash.selection import encode
    from latent_dash.views.table import ROWS_PATH

    mask = np.zeros(120, dtype=bool)
    mask[[3, 17, 40, 99]] = True
    answer = rows_client.post(ROWS_PATH, json=rows_body(mask=encode(mask), focus=17)).get_json()
    assert answer["rowCount"] == 4
    assert [row[INDEX_FIELD] for row in answer["rowData"]] == [3, 17, 40, 99]
    assert answer["caption"] == "4 selected samples · focus: sample 17"
    everyone = rows_client.post(ROWS_PATH, json=rows_body(start=50, end=100)).get_json()
    assert everyone["rowCount"] == 120 and len(everyone["rowData"]) == 50
    assert everyone["caption"] == "all 120 samples; select in any view to narrow"
    caption_only = rows_client.post(ROWS_PATH, json=rows_body(end=0)).get_json()
    assert caption_only["rowData"] == [] and caption_only["rowCount"] == 120


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"config": "elsewhere"}, "`config`"),
        ({"mask": {"n": 120, "idx": [500]}}, "`mask`"),
        ({"mask": "all"}, "`mask`"),
        ({"start": -1}, "`start`"),
        ({"end": 10**9}, "`start`"),
        ({"sort": "z0"}, "`sort`"),
        ({"focus": "3"}, "`focus`"),
        ({"filter": 7}, "`filter`"),
    ],
)
def test_a_malformed_row_request_is_400_with_its_reason(rows_client, change, reason):
    from latent_dash.views.table import ROWS_PATH

    response = rows_client.post(ROWS_PATH, json=rows_body(**change))
    assert response.status_code == 400 and reason in response.get_json()["error"]
    assert rows_client.post(ROWS_PATH, data="not json").status_code == 400
