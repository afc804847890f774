"""The contrast view's figures on constructed data whose answer is known, and the saved-selections
toolbar: recall in each mode, CSV import errors, the ids it writes."""

from __future__ import annotations

import base64
import uuid

import numpy as np
import pytest
from dash import Dash

from latent_dash import saved_selections, selection_store
from latent_dash.data import Dataset
from latent_dash.kinds import canonical_kind, options_model, registry
from latent_dash.page import SAVED_SELECTIONS, SELECTION, SELECTION_MASK, Panel
from latent_dash.selection import decode
from latent_dash.ui import saved_selections as toolbar
from latent_dash.views import contrast as view

N, DIMS, SEPARATING = 400, 6, 2


def _dataset(images: bool = True) -> tuple[Dataset, np.ndarray]:
    """N samples; the first half (group A) is 3 SD higher on latent dim 2, its images have a
    bright top-left pixel and its parameter `drive` is higher. Returns (dataset, A's mask)."""
    rng = np.random.default_rng(0)
    a = np.zeros(N, bool)
    a[: N // 2] = True
    latent = rng.normal(size=(N, DIMS)).astype(np.float32)
    latent[a, SEPARATING] += 3.0
    params = rng.uniform(size=(N, 2)).astype(np.float32)
    params[a, 0] += 1.0
    pictures = rng.random((N, 8, 7)).astype(np.float32) * 0.1
    pictures[a, 0, 0] += 1.0
    dataset = Dataset(
        name=f"contrast-{uuid.uuid4().hex[:6]}",
        latent=latent,
        latent_names=[f"z{j}" for j in range(DIMS)],
        params=params,
        param_names=["drive", "noise"],
        raw_images=pictures if images else None,
        image_shape=(8, 7) if images else None,
    )
    return dataset, a


def _nothing_saved(name: str) -> np.ndarray | None:
    return None


OPTIONS = {"top": 20, "bins": 5, "cmap": "gray", "columns": None}


def test_registered_with_aliases_and_options():
    assert registry()["contrast"] is view.Contrast
    assert canonical_kind("Compare selections") == "contrast"
    assert canonical_kind("Contrast") == "contrast"
    options = options_model("contrast")(a="cats", b="rest")
    assert (view.choice_value(options.a), view.choice_value(options.b)) == ("saved:cats", "rest")
    assert view.choice_value("saved:rest") == "saved:rest"  # a saved selection named "rest"
    with pytest.raises(ValueError):
        options_model("contrast")(top=0)


def test_the_separating_dim_ranks_first_with_the_tallest_bar_and_the_classifier_beats_chance():
    dataset, a = _dataset()
    state = view.contrast_state(dataset, "selection", "rest", a, None, _nothing_saved, OPTIONS)
    assert state["problem"] is None
    separation = state["separation"]
    assert int(separation.order[0]) == SEPARATING and separation.smd[SEPARATING] > 2
    bars = state["ranking"].data[0]
    assert bars.y[0] == f"z{SEPARATING}"
    assert bars.x[0] == max(bars.x)
    assert bars.marker.color[0] == view.COLORS["a"]  # A is higher on it
    ks = separation.ks[SEPARATING]
    assert bars.text[0] == f"KS {ks:.2f}" and ks > 0.8  # ~0.87 for a 3 SD shift
    result = state["separability"]
    assert result.balanced_accuracy > 0.9  # chance is 0.5
    assert "chance 0.50" in state["accuracy_text"]
    figure = state["accuracy"]
    assert figure.data[0].x[0] == pytest.approx(result.balanced_accuracy)
    assert figure.layout.shapes[0].x0 == 0.5  # chance drawn
    assert state["groups"]["top"] == f"z{SEPARATING}"
    assert f"{N // 2:,} samples" in state["caption"]


def test_noise_groups_are_told_apart_at_chance():
    dataset, _ = _dataset()
    random = np.random.default_rng(1).random(N) < 0.5
    state = view.contrast_state(dataset, "selection", "rest", random, None, _nothing_saved, {})
    assert abs(state["separability"].balanced_accuracy - 0.5) < 0.15


def test_histograms_overlay_both_groups_of_every_parameter():
    dataset, a = _dataset()
    state = view.contrast_state(dataset, "selection", "rest", a, None, _nothing_saved, OPTIONS)
    traces = state["histograms"].data
    assert len(traces) == 2 * len(dataset.param_names)
    drive_a, drive_b = traces[0], traces[1]
    mean = lambda t: np.average(t.x, weights=t.y)  # noqa: E731
    assert mean(drive_a) > mean(drive_b) + 0.5  # A's drive is 1 higher
    chosen = dict(OPTIONS, columns=["noise"])
    state = view.contrast_state(dataset, "selection", "rest", a, None, _nothing_saved, chosen)
    assert len(state["histograms"].data) == 2


def test_difference_image_is_symmetric_and_positive_where_a_is_brighter():
    dataset, a = _dataset()
    a_key, b_key = selection_store.put(a), selection_store.put(~a)
    result = view._group_images(dataset, a_key, b_key, "0")
    assert result.diff[0, 0] == pytest.approx(1.0, abs=0.05)
    assert abs(result.diff[3, 3]) < 0.05
    png, bound = view.diff_png(result.diff)
    assert png.startswith(b"\x89PNG") and bound == pytest.approx(result.diff[0, 0])
    children = view.images_children(dataset, a_key, b_key, "gray")
    assert "A \u2212 B" in str(children) and "mean A" in str(children)
    assert view.images_children(_dataset(images=False)[0], a_key, b_key, "gray") is None


def test_a_dims_quantile_bins_follow_the_groups():
    dataset, a = _dataset()
    values = dataset.latent[:, SEPARATING]
    which, edges = view.quantile_bins(values, 5)
    assert np.bincount(which).tolist() == [N // 5] * 5 and edges[0] == values.min()
    children = view.dim_children(dataset, f"z{SEPARATING}", a, ~a, 5, "gray")
    captions = [str(f.children[1].children[-1].children) for f in children.children[2].children]
    assert len(captions) == 5
    shares = [int(c.split("· ")[1].split("%")[0]) for c in captions]
    assert shares[0] < 10 and shares[-1] > 90  # the top bin is A's, the bottom B's
    assert view.dim_children(dataset, "nope", a, ~a, 5, "gray") is None
    bare, _ = _dataset(images=False)
    assert len(view.dim_children(bare, "z0", a, ~a, 5, "gray").children) == 2  # histogram only


def test_undefined_cases_are_sentences():
    dataset, a = _dataset()

    def state(a_value, b_value, selected, visible=None, saved=_nothing_saved):
        return view.contrast_state(dataset, a_value, b_value, selected, visible, saved, OPTIONS)

    assert state("selection", "rest", None)["problem"].startswith("Nothing is selected")
    everyone = np.ones(N, bool)
    assert "the rest, is empty" in state("selection", "rest", everyone)["problem"]
    assert (
        "same 400 samples" in state("rest", "saved:all", None, saved=lambda _: everyone)["problem"]
    )
    assert "No selection named 'gone'" in state("saved:gone", "rest", a)["problem"]
    one = np.zeros(N, bool)
    one[0] = True
    assert "has 1 sample" in state("selection", "rest", one)["problem"]

    def stale(_name):
        raise ValueError("it was saved over 10 samples")

    assert (
        "cannot be used: it was saved over 10"
        in state("saved:x", "rest", a, saved=stale)["problem"]
    )
    hidden = np.zeros(N, bool)
    hidden[N // 2 :] = True  # the filter hides all of A
    assert "no visible samples" in state("saved:a", "rest", a, hidden, lambda _: a)["problem"]
    assert "the filter hides the selection" in state("selection", "rest", a, hidden)["problem"]


def test_the_filter_restricts_both_groups():
    dataset, a = _dataset()
    visible = np.zeros(N, bool)
    visible[::2] = True
    state = view.contrast_state(dataset, "selection", "rest", a, visible, _nothing_saved, OPTIONS)
    assert state["separation"].n_a == N // 4 and state["separation"].n_b == N // 4
    assert "a filter is on" in state["caption"]


def test_group_options_list_saved_selections_with_counts():
    records = [{"name": "cats", "count": 1234, "n": N, "saved": "t"}]
    options = view.group_options(records, ("saved:dogs", "rest"))
    assert [o["value"] for o in options] == ["selection", "rest", "saved:cats", "saved:dogs"]
    assert options[2]["label"] == "cats (1,234)" and options[3]["label"] == "dogs (not saved)"


def test_layout_builds_pickers_with_the_options_groups():
    dataset, _ = _dataset()
    body = view.layout(Panel("c"), options_model("contrast")(a="cats"), dataset)
    text = str(body)
    assert "saved:cats" in text and "cats (not saved)" in text
    first = str(view.layout(Panel("c"), options_model("contrast")(), dataset))
    assert "Nothing is selected" in first  # said at first paint, before any callback


# ------------------------------------------------------------------ the saved-selections toolbar


def _key() -> str:
    return f"cfg-{uuid.uuid4().hex[:8]}"


def _mask(indices, n=10) -> np.ndarray:
    mask = np.zeros(n, bool)
    mask[list(indices)] = True
    return mask


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("replace", [0, 1, 2, 3]),
        ("add", [0, 1, 2, 3, 8, 9]),
        ("intersect", [2, 3]),
        ("subtract", [8, 9]),
    ],
)
def test_recall_combines_in_the_toolbars_mode(mode, expected):
    key = _key()
    saved_selections.save(key, "first four", _mask(range(4)))
    current = {"key": selection_store.put(_mask([2, 3, 8, 9])), "count": 4, "n": 10}
    value, summary, message = toolbar.recall(key, "first four", 10, current, mode, None)
    assert np.flatnonzero(decode(value, 10)).tolist() == expected
    assert np.flatnonzero(selection_store.get(summary["key"], 10)).tolist() == expected
    assert summary["count"] == len(expected) and summary["source"] == "saved:first four"
    assert message == f"recalled 'first four': {len(expected)} selected"


def test_recall_keeps_hidden_samples_out_and_says_so():
    key = _key()
    saved_selections.save(key, "s", _mask(range(4)))
    filtered = {"key": selection_store.put(_mask([0, 1, 5])), "count": 3, "n": 10}
    _value, summary, message = toolbar.recall(key, "s", 10, None, "replace", filtered)
    assert summary["count"] == 2 and "(2 hidden by the filter left out)" in message


def test_recall_errors_are_messages():
    key = _key()
    with pytest.raises(ValueError, match="choose a saved selection"):
        toolbar.recall(key, None, 10, None, "replace", None)
    with pytest.raises(ValueError, match="no selection named 'x'"):
        toolbar.recall(key, "x", 10, None, "replace", None)
    saved_selections.save(key, "s", _mask([1]))
    with pytest.raises(ValueError, match="saved over 10 samples"):
        toolbar.recall(key, "s", 12, None, "replace", None)


def _upload(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return "data:text/csv;base64," + base64.b64encode(raw).decode()


def test_csv_export_imports_back_and_import_errors_say_what_is_wrong():
    dataset, a = _dataset(images=False)
    key = _key()
    saved_selections.save(key, "A", a)
    text = saved_selections.to_csv(key, dataset.file_rows, dataset.n)
    other = _key()
    chosen, message, style = toolbar.import_csv(other, _upload(text), "a.csv", dataset)
    assert (chosen, style) == ("A", toolbar.OK) and message == "imported 'A' from a.csv"
    assert np.array_equal(saved_selections.mask(other, "A", N), a)
    with pytest.raises(ValueError, match="already saved"):
        toolbar.import_csv(other, _upload(text), "a.csv", dataset)
    with pytest.raises(ValueError, match="line 1: expected the header 'index,selection'"):
        toolbar.import_csv(other, _upload("row,name\n1,x\n"), "b.csv", dataset)
    with pytest.raises(ValueError, match="line 3: the index 'seven' is not a whole number"):
        toolbar.import_csv(other, _upload("index,selection\n1,x\nseven,x\n"), "c.csv", dataset)
    with pytest.raises(ValueError, match="not UTF-8 text"):
        toolbar.import_csv(other, _upload(b"\xff\xfe\x00index"), "d.csv", dataset)
    with pytest.raises(ValueError, match="arrived empty"):
        toolbar.import_csv(other, None, "e.csv", dataset)
    chosen, message, style = toolbar.import_csv(
        other, _upload("index,selection\n99999,far\n"), "f.csv", dataset
    )
    assert chosen is None and style == toolbar.ERROR
    assert "none of its rows are in this dataset" in message


def test_toolbar_writes_only_its_own_ids_and_the_selection_stores():
    app = Dash(__name__, suppress_callback_exceptions=True)
    toolbar.register_callbacks(app, {})
    written = set()
    for outputs in app.callback_map:
        for part in outputs.strip(".").split("..."):
            written.add(part.rsplit(".", 1)[0])
    assert written <= {SELECTION, SELECTION_MASK} | {
        i for i in written if i.startswith("selection-")
    }
    assert toolbar.RECORDS == SAVED_SELECTIONS  # the shared store the contrast view reads


def test_colour_images_give_a_mean_and_a_one_channel_difference():
    dataset, a = _dataset()
    rng = np.random.default_rng(2)
    pictures = rng.random((N, 8, 7, 3)).astype(np.float32)
    pictures[a, 0, 0, :] += 1.0
    colour = Dataset(
        name="colour", latent=dataset.latent, latent_names=dataset.latent_names,
        raw_images=pictures, image_shape=(8, 7, 3),
    )  # fmt: skip
    a_key, b_key = selection_store.put(a), selection_store.put(~a)
    assert view.image_channel(colour) == "rgb"
    result = view._group_images(colour, a_key, b_key, "rgb")
    assert result.mean_a.shape == (8, 7, 3) and result.diff[0, 0].min() > 0.8
    assert "A \u2212 B" in str(view.images_children(colour, a_key, b_key, "gray"))
    assert len(view.dim_children(colour, "z2", a, ~a, 4, "gray").children[2].children) == 4


# ------------------------------------------------------------------ the toolbar's callbacks


class Toolbar:
    """One of the toolbar's callbacks of a served app (the one writing `writes`, by default
    the list's), called as the page would call it."""

    def __init__(self, app, writes: str = f"{toolbar.RECORDS}.data"):
        self.client = app.server.test_client()
        [(self.output, self.callback)] = [
            (output, callback) for output, callback in app.callback_map.items() if writes in output
        ]

    def __call__(self, trigger: str, **values) -> dict:
        """values by "id.property", or by id alone (the property the callback names)."""

        def item(spec):
            key = f"{spec['id']}.{spec['property']}"
            value = values.get(key, values.get(spec["id"]))
            return {"id": spec["id"], "property": spec["property"], "value": value}

        declared = self.callback["output"]
        outputs = [
            {"id": o.component_id_str(), "property": o.component_property}
            for o in (declared if isinstance(declared, list) else [declared])
        ]
        prop = "contents" if trigger == toolbar.UPLOAD else "n_clicks"
        body = {
            "output": self.output,
            "outputs": outputs,
            "inputs": [item(spec) for spec in self.callback["inputs"]],
            "state": [item(spec) for spec in self.callback["state"]],
            "changedPropIds": [f"{trigger}.{prop}"],
        }
        response = self.client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["response"]


def test_the_toolbar_saves_renames_deletes_and_says_what_is_wrong(tmp_path):
    from latent_dash.app import create_app
    from latent_dash.page import CONFIG_KEY
    from tests.conftest import write_config, write_dataset

    files = write_dataset(tmp_path / "data")
    name = f"t{uuid.uuid4().hex[:6]}"
    config = write_config(
        tmp_path / f"{name}.yaml",
        {"dataset": {"name": "t", **{k: f"data/{v}" for k, v in files.items()}}, "layout": "table"},
    )
    app = create_app(config, warm_up=False)
    act = Toolbar(app)
    export = Toolbar(app, f"{toolbar.DOWNLOAD}.data")
    mask = _mask(range(7), 120)
    selection = {"key": selection_store.put(mask), "count": 7, "n": 120}
    page = {CONFIG_KEY: name, SELECTION: selection}

    def message(response) -> tuple[str, str]:
        shown = response[toolbar.MESSAGE]
        return shown["children"], shown["className"]

    loaded = act(CONFIG_KEY, **page)
    nothing_to_export = export(toolbar.EXPORT, **page)
    assert message(nothing_to_export)[0] == "nothing is saved: nothing to export"
    assert loaded[toolbar.RECORDS]["data"] == [] and message(loaded) == ("", toolbar.OK)
    empty = act(toolbar.SAVE, **page, **{toolbar.NAME: "  "})
    assert message(empty) == ("give the selection a name", toolbar.ERROR)
    nothing = act(toolbar.SAVE, **{CONFIG_KEY: name, toolbar.NAME: "x"})
    assert message(nothing)[0].startswith("nothing is selected")
    saved = act(toolbar.SAVE, **page, **{toolbar.NAME: "seven"})
    assert message(saved) == ("saved 'seven' (7 samples)", toolbar.OK)
    assert saved[toolbar.LIST]["options"] == [{"label": "seven (7)", "value": "seven"}]
    assert saved[toolbar.LIST]["value"] == "seven" and saved[toolbar.NAME]["value"] == ""
    [record] = saved[toolbar.RECORDS]["data"]
    assert (record["name"], record["count"], record["n"]) == ("seven", 7, 120)
    clash = act(toolbar.SAVE, **page, **{toolbar.NAME: "seven"})
    assert "'seven' is already saved" in message(clash)[0] and message(clash)[1] == toolbar.ERROR
    download = export(toolbar.EXPORT, **page, **{toolbar.LIST: "seven"})[toolbar.DOWNLOAD]["data"]
    assert download["filename"] == f"{name}-seven.csv"
    assert download["content"] == "index,selection\n" + "".join(f"{i},seven\n" for i in range(7))
    renamed = act(toolbar.RENAME, **page, **{toolbar.NAME: "eight", toolbar.LIST: "seven"})
    assert message(renamed)[0] == "renamed 'seven' to 'eight'"
    assert [r["name"] for r in renamed[toolbar.RECORDS]["data"]] == ["eight"]
    no_choice = act(toolbar.DELETE, **page)
    assert message(no_choice)[0] == "choose the saved selection to delete in the list"
    upload = {
        f"{toolbar.UPLOAD}.contents": _upload("a;b\n1;x\n"),
        f"{toolbar.UPLOAD}.filename": "b.csv",
    }
    bad = act(toolbar.UPLOAD, **page, **upload)
    assert message(bad)[0].startswith("b.csv: line 1: expected the header 'index,selection'")
    assert bad[toolbar.UPLOAD]["contents"] is None  # the same file can be chosen again
    deleted = act(toolbar.DELETE, **page, **{toolbar.LIST: "eight"})
    assert message(deleted)[0] == "deleted 'eight'" and deleted[toolbar.RECORDS]["data"] == []
