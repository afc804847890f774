"""selection.js is the twin of latent_dash/selection.py: run in the page, it encodes, decodes
and combines the same masks bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latent_dash.app import create_app
from latent_dash.selection import MODES, combine, decode, encode
from tests.browser.helpers import serve
from tests.conftest import write_config, write_dataset

pytestmark = pytest.mark.browser

# every mask of a case goes through the page's own functions; arrays travel as 0/1 lists
TWIN_JS = """
const lib = window.dash_clientside.latent_dash;
const cases = arguments[0];
return cases.map(function (c) {
  const mask = Uint8Array.from(c.mask);
  const other = Uint8Array.from(c.other);
  const fromPython = lib.decode(c.python, c.n);
  const combined = {};
  for (const mode of c.modes) combined[mode] = Array.from(lib.combine(mask, other, mode));
  return {
    encoded: lib.encode(mask),
    decoded: fromPython === null ? null : Array.from(fromPython),
    combined: combined,
    none: Array.from(lib.combine(null, other, "intersect")),
  };
});
"""


def cases() -> list[dict]:
    rng = np.random.default_rng(7)
    found = []
    for n in (1, 8, 9, 37, 1000, 4099):
        for density in (0.0, 0.003, 0.5, 1.0):
            mask = rng.random(n) < density
            other = rng.random(n) < 0.5
            found.append({"n": n, "mask": mask, "other": other})
    return found


def test_python_and_javascript_agree_bit_for_bit(dash_duo, tmp_path: Path):
    files = write_dataset(tmp_path / "data", n=30, dims=3)
    config = write_config(
        tmp_path / "twin.yaml",
        {"dataset": {k: f"data/{v}" for k, v in files.items()}, "layout": "scatter"},
    )
    serve(dash_duo, create_app(config, warm_up=False))
    dash_duo.wait_for_element(".view-scatter .js-plotly-plot")
    sent = cases()
    payload = [
        {
            "n": c["n"],
            "mask": c["mask"].astype(int).tolist(),
            "other": c["other"].astype(int).tolist(),
            "python": encode(c["mask"]),
            "modes": list(MODES),
        }
        for c in sent
    ]
    answers = dash_duo.driver.execute_script(TWIN_JS, payload)
    assert len(answers) == len(sent)
    for case, answer in zip(sent, answers, strict=True):
        n, mask, other = case["n"], case["mask"], case["other"]
        encoded = {k: v for k, v in answer["encoded"].items() if k in ("n", "bits", "idx")}
        assert encoded == encode(mask), f"encode differs at n={n}"
        assert np.array_equal(decode(encoded, n), mask)
        assert answer["decoded"] == mask.astype(int).tolist(), f"decode differs at n={n}"
        for mode in MODES:
            want = combine(mask, other, mode).astype(int).tolist()
            assert [int(v) for v in answer["combined"][mode]] == want, f"{mode} at n={n}"
        assert [int(v) for v in answer["none"]] == other.astype(int).tolist()
