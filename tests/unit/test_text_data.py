"""Text, categories and wide latents (issue 16, part 5): a sample's name (dataset.label and
dataset.text) in hover cards, neighbour lists, cluster cards, image titles and the table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_dash.data import open_config
from latent_dash.data.dataset import shorten
from latent_dash.errors import ConfigError
from latent_dash.views import clusters, images, neighbors, table
from latent_dash.views.common import hover_card
from tests.conftest import write_config
from tests.text_data import title, write_text_dataset
from tests.unit.test_sample_ids import texts


def text_config(folder: Path, **dataset) -> Path:
    files = write_text_dataset(folder / "data")
    return write_config(
        folder / "text.yaml",
        {
            "dataset": {
                "latent": f"data/{files['latent']}",
                "metadata": f"data/{files['metadata']}",
                **dataset,
            },
            "layout": "scatter",
        },
    )


@pytest.fixture
def labelled(tmp_path: Path):
    return open_config(text_config(tmp_path, label="title", text=["body"]))[1]


@pytest.fixture
def plain(tmp_path: Path):
    return open_config(text_config(tmp_path))[1]


def test_label_and_text_must_be_metadata_columns(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        open_config(text_config(tmp_path, label="titel", text=["body", "z0"]))
    problems = {p.key: p.message for p in caught.value.problems}
    assert "no metadata column named 'titel'" in problems["dataset.label"]
    assert "did you mean" in problems["dataset.label"] and "'title'" in problems["dataset.label"]
    assert "no metadata column named 'z0'" in problems["dataset.text"]


def test_label_without_metadata_is_a_problem(tmp_path: Path):
    files = write_text_dataset(tmp_path / "data")
    config = write_config(
        tmp_path / "c.yaml", {"dataset": {"latent": f"data/{files['latent']}", "label": "title"}}
    )
    with pytest.raises(ConfigError) as caught:
        open_config(config)
    assert [p.key for p in caught.value.problems] == ["dataset.label"]
    assert "no metadata table" in caught.value.problems[0].message


def test_sample_names(labelled, plain):
    assert labelled.sample_name(7) == f"7 · {title(7)}"
    assert labelled.sample_label(7) == title(7)
    assert plain.sample_name(7) == "sample 7" and plain.sample_label(7) is None
    assert shorten("a  b\nc", 10) == "a b c"
    assert shorten("x" * 30, 10) == "x" * 9 + "\u2026"
    assert labelled.first_columns == ["title", "body"] and plain.first_columns == []
    assert labelled.searchable == ["title", "body"]
    assert plain.searchable == ["title", "body", "module"]  # every non-numeric metadata column


def test_table_puts_label_and_text_first(labelled, plain):
    heads = [d["headerName"] for d in table.column_defs(labelled)]
    assert heads[:3] == ["index", "title", "body"] and heads[3] == "z0"
    assert heads.count("title") == 1 and "module" in heads and len(heads) == 1 + 48 + 4
    defs = {d["headerName"]: d for d in table.column_defs(labelled)}
    assert defs["title"]["width"] > defs["z0"].get("width", 104)
    assert defs["body"]["tooltipField"] == defs["body"]["field"]
    (record,) = table.block_records(labelled, np.array([3]))
    assert record[defs["title"]["field"]] == title(3)
    # without the keys nothing changes: latent dims first, metadata last
    assert [d["headerName"] for d in table.column_defs(plain)][:2] == ["index", "z0"]


def test_hover_card_neighbours_and_titles_name_the_sample(labelled, plain):
    _, _, card = hover_card(labelled, "c", {"index": 4, "bbox": {}}, ["score"])
    words = texts(card)
    assert f"4 · {title(4)}" in words and "body: Body text 4" in words and "score = " in words
    _, _, card = hover_card(plain, "c", {"index": 4, "bbox": {}}, ["score"])
    assert "sample 4" in texts(card) and "body" not in texts(card)

    listing = neighbors.neighbour_list(
        labelled, "c", "v", "latent", np.array([4, 9]), np.array([0.5, 1.0]), set(), set()
    )
    assert "#4" in texts(listing) and title(4) in texts(listing) and title(9) in texts(listing)
    heading = neighbors.results(labelled, "c", "v", 5, 3, "euclidean")[0]
    assert f"Neighbours of 5 · {title(5)}" in texts(heading)
    plain_listing = neighbors.neighbour_list(
        plain, "c", "v", "latent", np.array([4]), np.array([0.5]), set(), set()
    )
    assert "Sentence" not in texts(plain_listing)

    thumbs = images.thumbnails(labelled, "c", "v", np.array([2]), "0", "gray", None)
    assert thumbs[0].title == f"2 · {title(2)}"


def test_cluster_cards_name_a_few_members(labelled, plain):
    labels = (np.arange(labelled.n) % 2).astype(np.int64)
    examples = clusters.cluster_examples(labelled, labels, 1)
    assert len(examples) == clusters.CARD_EXAMPLES
    rows = [int(e.split(" · ")[0]) for e in examples]
    assert rows == sorted(rows) and all(r % 2 == 1 for r in rows)
    assert clusters.cluster_examples(plain, labels, 1) == []
