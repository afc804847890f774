"""The `latent-dash` command: validate prints problems and exits non-zero; shipped configs parse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_dash.cli import main
from latent_dash.config import is_compare, list_configs, parse_compare, parse_config
from tests.conftest import write_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_validate_ok(small_config: Path, capsys):
    assert main(["validate", str(small_config)]) == 0
    assert "OK" in capsys.readouterr().out


def test_validate_reports_every_problem_and_exits_nonzero(tmp_path: Path, capsys):
    bad = write_config(
        tmp_path / "bad.yaml",
        {
            "dataset": {"latent": "nope.npy", "images": "gone.npy"},
        },
    )
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"ERROR {bad}" in err
    assert "dataset.latent" in err and "dataset.images" in err and "Fix:" in err


def test_run_with_missing_config_says_how_to_fix(tmp_path: Path, capsys):
    assert main(["run", "--config", str(tmp_path / "none.yaml"), "--no-build"]) == 2
    assert "config file not found" in capsys.readouterr().err


@pytest.mark.parametrize("path", list_configs(CONFIGS), ids=lambda p: p.stem)
def test_shipped_configs_parse(path: Path):
    if is_compare(path):
        path = parse_compare(path).members[0]  # its models are checked on their own too
    loaded = parse_config(path)
    assert loaded.config.dataset.demo in ("digits", "implosion")
    assert loaded.views


def test_menu_lists_default_first():
    assert list_configs(CONFIGS)[0].stem == "default"


def test_docs_name_every_config_key():
    """docs/configs.md stays true to the schema: every key of every model is documented, and
    each view kind's options in its own section (checked from the kind's options model)."""
    from latent_dash.config import CompareConfig, ComparisonOptions, Config, DatasetConfig, Source
    from latent_dash.kinds import DecodedImageOptions, ViewOptions, registry

    docs = (CONFIGS.parent / "docs" / "configs.md").read_text()
    for model in [Config, DatasetConfig, Source, CompareConfig, ComparisonOptions]:
        for name in model.model_fields:
            assert f"`{name}`" in docs, f"{model.__name__}.{name} is not in docs/configs.md"
    # title: documented once for all; type: the kind; decoded-image options: under traversal
    shared = set(ViewOptions.model_fields) | {"type"}
    for kind, view in registry().items():
        assert f"| `{kind}` |" in docs, f"{kind} is missing from the table of kinds"
        own = [name for name in view.Options.model_fields if name not in shared]
        if kind == "interpolation":
            own = [name for name in own if name not in DecodedImageOptions.model_fields]
        if not own:
            continue
        start = docs.index(f"\n`{kind}`")
        end = docs.find("\n`", start + 1)  # the next kind's section
        section = docs[start : end if end > 0 else len(docs)]
        for name in own:
            assert f"| `{name}` |" in section, f"{kind}.{name} is not in its docs section"


def test_run_builds_only_missing_demos(tmp_path: Path, monkeypatch):
    from latent_dash.cli import missing_demos

    monkeypatch.setenv("LATENT_DASH_DEMO_DIR", str(tmp_path / "demo"))
    assert missing_demos(list_configs(CONFIGS)) == ["digits", "implosion"]


def test_validate_a_zero_byte_npy_prints_a_message_not_a_traceback(tmp_path: Path, capsys):
    (tmp_path / "z.npy").write_bytes(b"")
    bad = write_config(tmp_path / "bad.yaml", {"dataset": {"latent": "z.npy"}})
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "z.npy: the file is empty (0 bytes)" in err
    assert "Traceback" not in err and "EOFError" not in err


def test_precompute_from_another_folder_fills_the_cache_the_server_reads(
    tmp_path: Path, monkeypatch, capsys
):
    from latent_dash import storage
    from latent_dash.app import create_app
    from latent_dash.compute import embedding
    from latent_dash.data import open_config
    from tests.conftest import write_dataset

    monkeypatch.delenv(storage.CACHE_ENV)
    monkeypatch.setattr(storage, "_configs", {})
    configs = tmp_path / "configs"
    files = write_dataset(configs / "data")
    config = write_config(
        configs / "m.yaml",
        {
            "dataset": {"latent": f"data/{files['latent']}"},
            "layout": "embedding",
            "views": {"embedding": {"method": "pca"}},
        },
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["precompute", "../configs/m.yaml"]) == 0
    cache = configs / ".latent-dash-cache"
    assert f"cache: {cache} (beside the configs" in capsys.readouterr().out
    assert not (elsewhere / ".latent-dash-cache").exists()

    monkeypatch.setattr(storage, "_configs", {})  # a server started in yet another folder
    monkeypatch.chdir(tmp_path)
    create_app(config, warm_up=False)
    assert storage.cache_dir() == cache
    latent = open_config(config)[1].latent
    assert embedding.lookup(latent, "pca", {})[1] is not None  # precompute's result is found

    monkeypatch.setenv(storage.CACHE_ENV, str(tmp_path / "chosen"))
    assert storage.cache_dir() == tmp_path / "chosen"
    assert storage.describe_cache().endswith(f"(from {storage.CACHE_ENV})")


def test_validate_reports_config_and_data_problems_together_once(tmp_path: Path, capsys):
    (tmp_path / "z.npy").write_bytes(b"")
    np.save(tmp_path / "y.npy", np.zeros((5, 2), np.float32))
    columns = write_config(
        tmp_path / "columns.yaml",
        {"dataset": {"latent": "y.npy"}, "titel": "x", "views": {"scatter": {"x": "z00"}}},
    )
    typo = write_config(tmp_path / "typo.yaml", {"dataset": {"latent": "z.npy"}, "titel": "x"})
    data_only = write_config(tmp_path / "data.yaml", {"dataset": {"latent": "z.npy"}})
    assert main(["validate", str(typo), str(data_only), str(columns)]) == 1
    err = capsys.readouterr().err
    assert "views.scatter.x: no column named 'z00' (did you mean 'z0'?)" in err
    assert "titel: unknown key (did you mean 'title'?)" in err
    assert err.count("the file is empty (0 bytes)") == 2  # once for each config, not twice


def test_precompute_fills_the_disentanglement_of_correlation_views_and_comparisons(
    tmp_path: Path, capsys
):
    """A correlation panel and a comparison's table then show their summary at once."""
    from latent_dash.compute import disentanglement as dz
    from latent_dash.data import open_compare, open_config
    from latent_dash.views import comparison, correlation
    from tests.conftest import write_dataset

    files = write_dataset(tmp_path / "data", seed=41)  # data no other test stored results of
    dataset = {k: f"data/{v}" for k, v in files.items() if k != "images"}
    model = write_config(
        tmp_path / "m.yaml",
        {
            "dataset": dataset,
            "layout": "correlation",
            "views": {"correlation": {"targets": ["p0", "label"]}},
        },
    )
    other = write_dataset(tmp_path / "other", seed=42)
    other = {k: f"other/{v}" for k, v in other.items() if k not in ("images", "params")}
    other["params"] = dataset["params"]  # the same samples: the same physical inputs
    write_config(tmp_path / "n.yaml", {"dataset": other, "layout": "correlation"})
    pair = write_config(tmp_path / "pair.yaml", {"compare": ["m.yaml", "n.yaml"]})
    assert main(["precompute", str(model), str(pair)]) == 0
    out = capsys.readouterr().out
    assert "correlation: disentanglement against 2 targets" in out
    _, data = open_config(model)
    assert correlation.stored_result(data, ["p0", "label"]) is not None
    assert correlation.stored_result(data, correlation.target_names(data)) is None
    _, (a, b) = open_compare(pair)
    names = comparison.shared_targets(a, b)
    assert names == ["p0", "p1", "p2"]  # label and error differ between the two models
    factors = correlation.target_matrix(a, names)
    assert all(dz.stored_summary(d.latent, factors, names) is not None for d in (a, b))
