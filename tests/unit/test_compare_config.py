"""Comparison configs: which models, the same samples, clear problems, and the menu's keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from latent_dash.config import is_compare, parse_compare, parse_config
from latent_dash.data import open_compare
from latent_dash.errors import ConfigError
from latent_dash.menu import config_menu, model_keys
from latent_dash.page import Page
from tests.conftest import write_config, write_dataset


def model(folder: Path, name: str, n: int = 60, dims: int = 4) -> Path:
    files = write_dataset(folder / f"{name}-data", n=n, dims=dims)
    return write_config(
        folder / f"{name}.yaml",
        {"dataset": {"name": name, **{k: f"{name}-data/{v}" for k, v in files.items()}}},
    )


def comparison(folder: Path, members: list[str], **extra) -> Path:
    return write_config(folder / "compare.yaml", {"compare": members, **extra})


def problems(error: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in error.value.problems)


def test_a_comparison_opens_every_model(tmp_path: Path):
    model(tmp_path, "a", dims=4)
    model(tmp_path, "b", dims=6)
    path = comparison(tmp_path, ["a.yaml", "b.yaml"], views={"scatter": {"x": "z0"}},
                      layout={"column": ["scatter"]})  # fmt: skip
    assert is_compare(path) and not is_compare(tmp_path / "a.yaml")
    loaded, datasets = open_compare(path)
    assert [d.dims for d in datasets] == [4, 6]
    assert [s.id for s in loaded.views] == ["scatter"]
    assert loaded.members == (tmp_path / "a.yaml", tmp_path / "b.yaml")


def test_different_sample_counts_are_refused_with_the_fix(tmp_path: Path):
    model(tmp_path, "a", n=60)
    model(tmp_path, "b", n=50)
    with pytest.raises(ConfigError) as error:
        open_compare(comparison(tmp_path, ["a.yaml", "b.yaml"]))
    text = problems(error)
    assert "compare.1" in text and "b.yaml has 50 samples but a.yaml has 60" in text
    assert "row i must be sample i" in text


def test_missing_repeated_and_nested_models_are_named(tmp_path: Path):
    model(tmp_path, "a")
    inner = write_config(tmp_path / "inner.yaml", {"compare": ["a.yaml", "a.yaml"]})
    with pytest.raises(ConfigError) as error:
        parse_compare(comparison(tmp_path, ["a.yaml", "gone.yaml", inner.name, "a.yaml"]))
    text = problems(error)
    assert "compare.1: no config file" in text
    assert "listed twice" in text
    assert "compare.2: a comparison cannot contain another comparison" in text
    with pytest.raises(ConfigError) as error:
        parse_compare(comparison(tmp_path, ["a.yaml"]))
    assert "compare" in problems(error)  # at least two models


def test_a_view_column_missing_from_one_model_is_a_problem(tmp_path: Path):
    model(tmp_path, "a", dims=4)
    model(tmp_path, "b", dims=2)
    path = comparison(tmp_path, ["a.yaml", "b.yaml"], layout={"column": ["scatter"]},
                      views={"scatter": {"y": "z3"}})  # fmt: skip
    with pytest.raises(ConfigError) as error:
        open_compare(path)
    assert "views.scatter.y: no column named 'z3'" in problems(error)


def test_a_comparison_has_no_dataset_of_its_own(tmp_path: Path):
    model(tmp_path, "a")
    model(tmp_path, "b")
    with pytest.raises(ConfigError) as error:
        parse_config(comparison(tmp_path, ["a.yaml", "b.yaml"]))
    assert "compares models" in problems(error)


def test_the_menu_holds_models_from_other_folders_and_panels_resolve_them(tmp_path: Path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    model(other, "a", dims=4)
    model(tmp_path, "b", dims=6)
    model(tmp_path, "a", dims=3)  # same stem as the outside model: the outside one is renamed
    comparison(tmp_path, ["elsewhere/a.yaml", "b.yaml"])
    menu = config_menu(tmp_path / "b.yaml")
    assert model_keys(menu, "compare") == ["compare-a", "b"]
    assert model_keys(menu, "b") is None
    assert Page(menu, "compare", model=1).model_key == "b"
    assert Page(menu, "compare", model=0).model_key == "compare-a"
    assert Page(menu, "compare").model_key == "compare-a"  # outside a callback: model 0
    assert Page(menu, "a").model_key == "a"
    assert Page(menu, "compare", model=1).dataset.dims == 6
    assert Page(menu, "compare", model=0).dataset.dims == 4
    assert Page(menu, "compare", model=1).models == ["compare-a", "b"]


def test_the_shipped_comparisons_compare_the_demo_models():
    configs = Path(__file__).resolve().parents[2] / "configs"
    for name, demo in (("compare-implosion", "implosion"), ("compare-digits", "digits")):
        loaded = parse_compare(configs / f"{name}.yaml")
        members = [parse_config(m).config.dataset for m in loaded.members]
        assert {m.demo for m in members} == {demo}
        assert sorted(m.name for m in members) == [f"{demo}-10d", f"{demo}-16d"]


def test_precompute_fills_the_cache_with_the_pages_metrics(tmp_path: Path, capsys, monkeypatch):
    from latent_dash.cli import main
    from latent_dash.compute import comparison as metrics

    model(tmp_path, "a", dims=4)
    model(tmp_path, "b", dims=6)
    path = comparison(tmp_path, ["a.yaml", "b.yaml"], comparison={"k": 5, "ks": [3, 5]})
    assert main(["precompute", str(path)]) == 0
    out = capsys.readouterr().out
    assert "a: embedding: PCA of 60 samples" in out and "b: embedding" in out
    assert "metrics of a against b" in out

    def computed(*args, **kwargs):
        raise AssertionError("computed again: precompute did not fill the cache")

    for name in ("knn_overlap", "_trust_pairs", "cca", "encoding_r2"):
        monkeypatch.setattr(metrics, name, computed)
    _, (a, b) = open_compare(path)
    _, overlap, summary = metrics.compare_pair(a.latent, b.latent, a.params, 5, [3, 5])
    assert overlap.shape == (60,) and summary["ks"] == [3, 5]


def test_the_menu_finds_a_config_added_after_start(tmp_path: Path):
    model(tmp_path, "a", dims=3)
    menu = config_menu(tmp_path / "a.yaml")
    assert list(menu) == ["a"]
    model(tmp_path, "late", dims=4)  # written while the server runs
    assert "late" in menu  # an unknown key rescans the folder
    assert Page(menu, "late").dataset.dims == 4
    (tmp_path / "late.yaml").unlink()
    assert menu.rescan() and "late" not in menu
    assert not menu.rescan()  # nothing changed since: the folder is not read again
