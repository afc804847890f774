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


def test_many_categories_get_a_legend_of_the_most_frequent_and_other():
    from latent_dash.views.palette import CATEGORY_COLORS, OTHER_COLOR
    from latent_dash.views.points import TOP_CATEGORIES, category_groups

    # value v (0..60) appears v + 1 times: the 20 most frequent are 41..60
    values = np.array([f"v{v:02d}" for v in range(61) for _ in range(v + 1)], dtype=object)
    names, groups, colors = category_groups(values)
    assert names == [f"v{v:02d}" for v in range(41, 61)] + ["other (41 values)"]
    assert colors == [*CATEGORY_COLORS[:TOP_CATEGORIES], OTHER_COLOR]
    assert len(set(colors)) == len(colors)  # every legend entry its own colour
    assert (groups[values == "v41"] == 0).all() and (groups[values == "v60"] == 19).all()
    assert (groups[values == "v05"] == 20).all() and groups.shape == values.shape
    # at most MAX_LEGEND_CATEGORIES values: every value its entry, as before
    few = np.array(["b", "a", "c", "a"], dtype=object)
    names, groups, colors = category_groups(few)
    assert names == ["a", "b", "c"] and groups.tolist() == [1, 0, 2, 0]
    assert colors == CATEGORY_COLORS[:3]


def test_scatter_of_61_modules_has_a_legend_not_a_colour_bar(labelled):
    import plotly.graph_objects as go

    from latent_dash.views.points import MODEBAR_MARGIN, point_traces, scatter_layout

    xs, ys = labelled.column("z0"), labelled.column("z1")
    traces = point_traces(labelled, xs, ys, "module")
    assert not any(t.marker.showscale for t in traces)
    names = [t.name for t in traces]
    assert names[0] == "other (41 values)" and traces[0].legendrank == 2000  # drawn underneath
    assert "m00" in names and len(names) == 21
    rows = np.sort(np.concatenate([t.customdata for t in traces]))
    assert rows.tolist() == list(range(labelled.n))  # every sample in exactly one trace
    m00 = next(t for t in traces if t.name == "m00")
    modules = labelled.column("module")
    assert sorted(m00.customdata.tolist()) == np.flatnonzero(modules == "m00").tolist()
    figure = scatter_layout(go.Figure(traces), "z0", "z1", "r")
    assert figure.layout.margin.t == MODEBAR_MARGIN  # the legend starts below the mode bar
    plain = scatter_layout(go.Figure(point_traces(labelled, xs, ys, None)), "z0", "z1", "r")
    assert plain.layout.margin.t == 10


def test_search_finds_the_samples_whose_text_matches(labelled, plain):
    from latent_dash.ui.search import matching, status_text

    music = np.flatnonzero(np.arange(labelled.n) % 5 == 2)  # title(i) names TOPICS[i % 5]
    assert np.flatnonzero(matching(labelled, "about MUSIC")).tolist() == music.tolist()
    teens = matching(labelled, r"^Sentence 1\d about", regex=True)
    assert np.flatnonzero(teens).tolist() == list(range(10, 20))
    assert not matching(labelled, r"^Sentence 1\d about").any()  # not a pattern without regex
    assert matching(labelled, "Body text 7:").sum() == 1  # dataset.text is searched too
    assert matching(plain, "m00").sum() == 30 + 2  # no keys: every text column (module)
    assert not matching(labelled, "m00").any()  # the keys name what is searched
    with pytest.raises(ValueError, match="not a valid regular expression"):
        matching(labelled, "(about", regex=True)
    with pytest.raises(ValueError, match="at most 200"):
        matching(labelled, "x" * 201)
    assert status_text(30, 30, ["title", "body"]) == "30 matches in title, body"
    assert status_text(1, 0, ["a", "b", "c", "d"]) == "1 match (0 visible) in a, b, c +1"


def test_search_writes_only_the_shared_stores_and_its_own_status():
    from dash import Dash

    from latent_dash import page
    from latent_dash.ui import search

    app = Dash(__name__, suppress_callback_exceptions=True)
    search.register_callbacks(app, {})
    written = " ".join(app.callback_map)
    assert page.SELECTION_MASK in written and page.SELECTION in written
    for name in written.strip(".").split("..."):
        assert name.split(".")[0] in {page.SELECTION_MASK, page.SELECTION, search.STATUS}, name


def wide_dataset(n: int = 400, dims: int = 40, seed: int = 1):
    """A latent whose dims 33, 7 and 21 vary most (in that order) and whose dim 12 (of small
    variance) is a monotone function of the metadata column `score`."""
    import pandas as pd

    from latent_dash.data import Dataset

    rng = np.random.default_rng(seed)
    scale = np.full(dims, 0.5)
    scale[[33, 7, 21]] = [5.0, 4.0, 3.0]
    latent = rng.normal(size=(n, dims)) * scale
    score = rng.random(n)
    latent[:, 12] = 0.2 * np.exp(score) + rng.normal(scale=0.01, size=n)
    return Dataset(
        name="wide",
        latent=latent.astype(np.float32),
        latent_names=[f"z{i}" for i in range(dims)],
        metadata=pd.DataFrame({"score": score}),
    )


def test_a_wide_parcoords_shows_the_axes_that_fit_in_a_telling_order():
    from latent_dash.views.parcoords import (
        DEFAULT_AXES,
        ParcoordsOptions,
        default_dims,
        wide_notice,
    )

    dataset = wide_dataset()
    assert DEFAULT_AXES == 16  # 40 px between axes in a 600 px panel
    dims = default_dims(dataset, ParcoordsOptions())
    assert len(dims) == 16 and dims[:3] == ["z33", "z7", "z21"] and "z12" not in dims
    assert wide_notice(dataset, ParcoordsOptions()) == (
        "40 latent dims: showing the 16 that vary most; every dim is in the axes picker"
    )
    related = ParcoordsOptions(order="relation", color="score", axes=5)
    assert default_dims(dataset, related)[0] == "z12"
    assert "the 5 most related to score" in wide_notice(dataset, related)
    no_colour = ParcoordsOptions(order="relation")  # nothing to relate to: variance
    assert default_dims(dataset, no_colour) == dims
    first = ParcoordsOptions(order="index", axes=4)
    assert default_dims(dataset, first) == ["z0", "z1", "z2", "z3"]
    assert "showing the first 4" in wide_notice(dataset, first)
    # dims given, or a latent that fits: every dim in order, no notice
    assert default_dims(dataset, ParcoordsOptions(dims=["z1", "z0"])) == ["z1", "z0"]
    assert wide_notice(dataset, ParcoordsOptions(dims=["z1", "z0"])) is None
    assert default_dims(dataset, ParcoordsOptions(axes=40)) == dataset.latent_names
    assert wide_notice(dataset, ParcoordsOptions(axes=40)) is None


def test_dimheatmap_rows_by_variance_columns_by_first_component():
    import pandas as pd

    from latent_dash.data import Dataset
    from latent_dash.views import dimheatmap as dh

    # samples on a line through the latent: position t along dims b and d (3 and 1 per unit);
    # dims a and c are small noise, so b varies most, then d, then c
    rng = np.random.default_rng(2)
    n = 80
    t = rng.permutation(np.linspace(-1, 1, n))
    latent = np.outer(t, [0.0, 3.0, 0.0, 1.0])
    latent[:, [0, 2]] = rng.normal(size=(n, 2)) * [0.01, 0.05]  # noise, more in dim c
    dataset = Dataset(
        name="line",
        latent=latent.astype(np.float32),
        latent_names=["a", "b", "c", "d"],
        metadata=pd.DataFrame({"t": t, "name": [f"s{i}" for i in range(n)]}),
    )
    options = dh.DimHeatmapOptions(dims=3, samples=500)
    matrix = dh.heat_matrix(dataset, options)
    assert matrix.dims == ["b", "d", "c"]  # by variance, the 3 that vary most
    assert matrix.z.shape == (3, n) and not matrix.selected and matrix.pool == n
    assert np.array_equal(matrix.samples, np.argsort(t))  # PC1 is t (largest loading +)
    z_b = (latent[:, 1] - latent[:, 1].mean()) / latent[:, 1].std()
    assert np.allclose(matrix.z[0], z_b[matrix.samples], atol=1e-5)  # z-scores over all
    raw = dh.heat_matrix(dataset, dh.DimHeatmapOptions(dims=3, standardise=False))
    assert np.allclose(raw.z[0], latent[raw.samples, 1], atol=1e-6)

    # a selection of 50 with samples=10: a seeded 10 of them, the same each time, by column
    selected = np.zeros(n, dtype=bool)
    selected[:50] = True
    visible = np.ones(n, dtype=bool)
    visible[0] = False  # hidden: never drawn
    few = dh.DimHeatmapOptions(samples=10)
    first = dh.heat_matrix(dataset, few, selected, visible, sort_by="t")
    again = dh.heat_matrix(dataset, few, selected, visible, sort_by="t")
    assert np.array_equal(first.samples, again.samples) and len(first.samples) == 10
    assert first.pool == 49 and first.selected and set(first.samples) <= set(range(1, 50))
    assert np.all(np.diff(t[first.samples]) > 0) and first.order == "t"
    text = dh.caption(first, dataset, few)
    assert "a seeded random 10 of the 49 selected samples, ordered by t" in text
    assert "all 4 latent dims" in text
    by_name = dh.heat_matrix(dataset, few, selected, visible, sort_by="name")
    assert [str(dataset.column("name")[s]) for s in by_name.samples] == sorted(
        str(dataset.column("name")[s]) for s in by_name.samples
    )
    empty = dh.heat_matrix(dataset, few, np.zeros(n, dtype=bool))
    assert empty.z.shape == (4, 0) and dh.caption(empty, dataset, few).startswith("No sample")

    assert dh.focus_shapes([5, 9, 2], 9)[0]["x0"] == 0.5  # column 1
    assert dh.focus_shapes([5, 9, 2], 7) == [] and dh.focus_shapes(None, 1) == []
