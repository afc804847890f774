"""Build, cache and stamp the demo folders.

Every demo folder is written into a hidden temp folder and renamed into place
only when complete, with the stamp (demo.json) written last, so a folder that
has a matching stamp is always whole and an interrupted build is simply redone.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from latent_dash.demo import digits, implosion
from latent_dash.demo.autoencoder import decode, encode, save_decoder, train_autoencoder

# Bump when the output of a build changes, so old caches are rebuilt.
BUILDER_VERSION = 1
LATENT_SIZES = (10, 16)
STAMP = "demo.json"


@dataclass
class DemoData:
    """What a demo's data step hands to the training and saving steps."""

    images: np.ndarray  # (N, H, W) float32 in [0, 1]
    table: pd.DataFrame  # per-sample columns shared by both metadata CSVs
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # extra <key>.npy files
    stamp: dict[str, Any] = field(default_factory=dict)  # extra demo.json entries


@dataclass(frozen=True)
class Demo:
    """A named demo: its default build parameters and how to make its data."""

    name: str
    description: str
    defaults: Mapping[str, Any]
    make: Callable[[Mapping[str, Any]], DemoData]


def _make_digits(params: Mapping[str, Any]) -> DemoData:
    """Digits images with their labels as the one metadata column."""
    images, labels = digits.load(params["n"])
    return DemoData(images=images, table=pd.DataFrame({"label": labels}))


def _make_implosion(params: Mapping[str, Any]) -> DemoData:
    """Simulated implosions: sampled inputs, images and measured scalar outputs."""
    inputs = implosion.sample_params(params["n"], seed=params["seed"])
    # A different seed for the noise keeps it independent of the sampled inputs.
    images = implosion.simulate(inputs, params["size"], seed=params["seed"] + 1)
    return DemoData(
        images=images,
        table=implosion.scalars(inputs, images),
        arrays={"params": inputs.astype(np.float32)},
        stamp={"param_names": list(implosion.PARAM_NAMES)},
    )


# Defaults were tuned on a 2-core machine: the whole build (both demos, four
# autoencoders) takes about a minute, which allowed 64x64 implosion images.
DEMOS: dict[str, Demo] = {
    "digits": Demo(
        name="digits",
        description="scikit-learn handwritten digits, 8x8 pixels",
        defaults={"n": 1797, "hidden": 256, "max_iter": 1000, "learning_rate": 0.002, "seed": 0},
        make=_make_digits,
    ),
    "implosion": Demo(
        name="implosion",
        description="analytical ICF implosion hot-spot images",
        defaults={
            "n": 10_000,
            "size": 64,
            "hidden": 128,
            "max_iter": 20,
            "learning_rate": 0.001,
            "seed": 0,
        },
        make=_make_implosion,
    ),
}


def demo_root() -> Path:
    """Default cache folder: $LATENT_DASH_DEMO_DIR, else <repo>/demo-data (git-ignored)."""
    env = os.environ.get("LATENT_DASH_DEMO_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "demo-data"


def _demo(name: str) -> Demo:
    """Look a demo up, naming the known ones when the name is wrong."""
    try:
        return DEMOS[name]
    except KeyError:
        raise ValueError(f"unknown demo {name!r}; known demos: {', '.join(DEMOS)}") from None


def _params(demo: Demo, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults with overrides applied, in JSON form so they compare equal to a stamp's."""
    unknown = set(overrides) - set(demo.defaults)
    if unknown:
        raise TypeError(
            f"unknown build parameter(s) {sorted(unknown)} for demo {demo.name!r}; "
            f"known: {sorted(demo.defaults)}"
        )
    return json.loads(json.dumps({**demo.defaults, **overrides}))


def _stamp_matches(folder: Path, params: Mapping[str, Any]) -> bool:
    """True when folder holds a complete build of this builder version with these params."""
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(stamp, dict)
        and stamp.get("version") == BUILDER_VERSION
        and stamp.get("params") == params
        and all((folder / f).is_file() for f in stamp.get("files", []))
    )


def is_built(name: str, root: Path | None = None) -> bool:
    """True when root/name holds a complete default build by the current builder."""
    root = Path(root) if root is not None else demo_root()
    return _stamp_matches(root / name, _params(_demo(name), {}))


def _steps(params: Mapping[str, Any]) -> int:
    """Progress steps of one build: data, every epoch, saving each model, finishing."""
    return 1 + len(LATENT_SIZES) * (params["max_iter"] + 1) + 1


def _progress(total: int, enabled: bool) -> tqdm:
    """The single progress bar, on stderr so stdout stays clean for callers."""
    return tqdm(total=total, disable=not enabled, file=sys.stderr, unit="step", leave=True)


def _replace_folder(new: Path, final: Path) -> None:
    """Move a finished build into place, dropping any previous build only afterwards."""
    if final.exists():
        old = final.with_name(f".{final.name}-old-{uuid.uuid4().hex}")
        final.rename(old)
        new.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(final)


def _write_files(demo: Demo, folder: Path, params: Mapping[str, Any], bar: tqdm) -> dict[str, Any]:
    """Make the data, train one autoencoder per latent size, save all; return the stamp."""
    bar.set_description(f"{demo.name}: data")
    data = demo.make(params)
    images = data.images
    x = images.reshape(len(images), -1)
    np.save(folder / "images.npy", images)
    for key, array in data.arrays.items():
        np.save(folder / f"{key}.npy", array)
    bar.update()

    baseline = float(((x - x.mean(axis=0)) ** 2).mean())
    mse: dict[str, float] = {}
    for latent in LATENT_SIZES:
        bar.set_description(f"{demo.name}: {latent}-D autoencoder")
        model = train_autoencoder(
            x,
            latent,
            hidden=params["hidden"],
            epochs=params["max_iter"],
            learning_rate=params["learning_rate"],
            seed=params["seed"],
            on_epoch=bar.update,
        )
        z = encode(model, x).astype(np.float32)
        save_decoder(model, folder / f"decoder-{latent}d.npz", images.shape[1:])
        # Decoding through the saved file proves it reproduces what we ship.
        recon = decode(z, folder / f"decoder-{latent}d.npz").astype(np.float32)
        error = ((recon.reshape(len(x), -1) - x) ** 2).mean(axis=1)
        np.save(folder / f"latent-{latent}d.npy", z)
        np.save(folder / f"reconstructions-{latent}d.npy", recon)
        data.table.assign(recon_error=error).to_csv(
            folder / f"metadata-{latent}d.csv", index=False, float_format="%.6g"
        )
        mse[str(latent)] = float(error.mean())
        bar.update()

    return {
        "name": demo.name,
        "description": demo.description,
        "version": BUILDER_VERSION,
        "params": dict(params),
        "n": len(images),
        "image_shape": list(images.shape[1:]),
        "latent_sizes": list(LATENT_SIZES),
        "mse": mse,
        "baseline_mse": baseline,
        **data.stamp,
        "files": sorted(p.name for p in folder.iterdir()),
    }


def _build(demo: Demo, root: Path, params: Mapping[str, Any], bar: tqdm) -> Path:
    """Build into a hidden temp folder, stamp it last, then move it into place."""
    start = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{demo.name}-building-", dir=root))
    tmp.chmod(0o755)  # mkdtemp makes it private; the final folder should not be
    try:
        # One BLAS thread: the same numbers on any core count, and a build that
        # stays fast on a busy machine (two BLAS threads competing with other
        # work measured up to 3x slower per epoch than one).
        with threadpool_limits(limits=1, user_api="blas"):
            stamp = _write_files(demo, tmp, params, bar)
        stamp["seconds"] = round(time.perf_counter() - start, 2)
        (tmp / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        _replace_folder(tmp, root / demo.name)
        bar.update()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root / demo.name


def build_demo(
    name: str,
    root: Path | None = None,
    *,
    progress: bool = True,
    force: bool = False,
    **overrides: Any,
) -> Path:
    """Build one demo into root/name and return that folder; a matching build is reused.

    Overrides (e.g. n=300, max_iter=5) make quick builds for tests; they are
    recorded in the stamp, so is_built() does not mistake them for the real one.
    """
    demo = _demo(name)
    root = Path(root) if root is not None else demo_root()
    params = _params(demo, overrides)
    if not force and _stamp_matches(root / name, params):
        return root / name
    with _progress(_steps(params), progress) as bar:
        return _build(demo, root, params, bar)


def ensure_demos(
    names: Iterable[str] | None = None, root: Path | None = None, progress: bool = True
) -> list[Path]:
    """Build whichever default demos are missing (one progress bar) and return all folders."""
    names = list(DEMOS) if names is None else list(names)
    demos = [_demo(n) for n in names]
    root = Path(root) if root is not None else demo_root()
    todo = [d for d in demos if not is_built(d.name, root)]
    if todo:
        start = time.perf_counter()
        with _progress(sum(_steps(d.defaults) for d in todo), progress) as bar:
            for demo in todo:
                _build(demo, root, _params(demo, {}), bar)
        if progress:
            built = ", ".join(d.name for d in todo)
            print(f"built {built} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return [root / n for n in names]
