"""Decoding latent points back to images: the decoder a config names, loaded and checked once.

`dataset.decoder` in a config is either
- a path to a demo-style decoder `.npz` (arrays W0, b0, W1, b1, ..., `activation`,
  `image_shape`, as `latent-dash demo` writes them): a dense network run with numpy
  (`latent_dash.demo.autoencoder.decode`); the file is read with pickles refused, so nothing in it
  runs; or
- `"package.module:function"`: a Python callable mapping (M, D) float32 latent vectors to
  (M, *image_shape) images. It is imported when the config loads (the config's folder is searched
  after the installed packages), so a config that names one runs that code: only the author of a
  config decides that, never a page or a request.

Either way the decoder is tried on the first latent row while the config loads; every failure
(a missing file, an import error, a missing attribute, something not callable, an exception, an
output of the wrong shape) is a `Problem` naming the file, the key `dataset.decoder` and the fix.

Pure: no dash. `decode(dataset, latent_rows)` is what views (and other code) call.
"""

from __future__ import annotations

import importlib
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from latent_dash.errors import ConfigError, Problem

if TYPE_CHECKING:
    from latent_dash.data import Dataset

KEY = "dataset.decoder"
CHUNK_ROWS = 1024  # latent rows handed to a decoder at once (bounds its memory)
_CALLABLE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_import_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class Decoder:
    """A checked decoder: (M, dims) latent vectors -> (M, *image_shape) float32 images."""

    spec: str  # as written in the config
    function: Callable[[np.ndarray], np.ndarray]
    dims: int
    image_shape: tuple[int, ...]

    def __call__(self, latent: np.ndarray) -> np.ndarray:
        z = np.ascontiguousarray(latent, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.dims:
            raise ValueError(f"expected latent rows of shape (M, {self.dims}), got {z.shape}")
        out = np.empty((len(z), *self.image_shape), dtype=np.float32)
        for start in range(0, len(z), CHUNK_ROWS):
            chunk = z[start : start + CHUNK_ROWS]
            images = np.asarray(self.function(chunk), dtype=np.float32)
            if images.shape != (len(chunk), *self.image_shape):
                raise ValueError(
                    f"decoder {self.spec} returned shape {images.shape} for {len(chunk)} rows"
                )
            out[start : start + len(chunk)] = images
        return out


def is_callable_spec(spec: str) -> bool:
    """True for "package.module:function", False for a file path."""
    return bool(_CALLABLE.match(spec.strip()))


def _problem(file: str, message: str, fix: str) -> ConfigError:
    return ConfigError([Problem(file, KEY, message, fix)])


# --- the two kinds of decoder --------------------------------------------------------------------


def npz_function(arrays: Mapping[str, np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The demo autoencoder's decoder half as a function of (M, D) latent rows."""
    from latent_dash.demo.autoencoder import decode as forward  # numpy only at call time

    arrays = dict(arrays)
    return lambda z: forward(z, arrays)


def check_npz_arrays(arrays: Mapping[str, np.ndarray]) -> str | None:
    """What is wrong with the arrays of a demo-style decoder, or None."""
    from latent_dash.demo.autoencoder import _ACTIVATIONS

    layers = sum(1 for k in arrays if re.fullmatch(r"W\d+", k))
    needed = [f"{p}{i}" for i in range(layers) for p in ("W", "b")] + ["activation", "image_shape"]
    missing = [k for k in needed if k not in arrays]
    if layers == 0 or missing:
        return "it lacks the arrays " + ", ".join(missing or ["W0", "b0"])
    activation = str(arrays["activation"])
    if activation not in _ACTIVATIONS:
        return f"unknown activation {activation!r} (known: {', '.join(_ACTIVATIONS)})"
    width = None  # outputs of the previous layer
    for i in range(layers):
        w, b = np.asarray(arrays[f"W{i}"]), np.asarray(arrays[f"b{i}"])
        if w.ndim != 2 or b.shape != (w.shape[1],):
            return f"W{i} {list(w.shape)} and b{i} {list(b.shape)} do not form a dense layer"
        if width is not None and w.shape[0] != width:
            return f"W{i} takes {w.shape[0]} inputs but W{i - 1} gives {width}"
        width = w.shape[1]
    shape = np.asarray(arrays["image_shape"]).astype(np.int64).tolist()
    if len(shape) not in (2, 3) or int(np.prod(shape)) != width:
        return f"image_shape {shape} does not fit the last layer's {width} outputs"
    return None


def _load_npz(spec: str, folder: Path, file: str) -> tuple[Callable, int | None]:
    path = (folder / spec).resolve()
    if not path.is_file():
        raise _problem(
            file,
            f"decoder file {path} not found",
            "check the path (it is relative to the config file's folder)",
        )
    if path.suffix.lower() != ".npz":
        raise _problem(
            file,
            f"{path.name} is not a decoder .npz",
            "give a demo-style .npz (W0, b0, ..., activation, image_shape), or write a Python "
            "function and name it as package.module:function",
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (ValueError, OSError) as exc:
        pickled = "pickle" in str(exc)
        raise _problem(
            file,
            f"{path}: "
            + ("holds Python objects (a pickle), which are never loaded" if pickled else str(exc)),
            "save the decoder's arrays with np.savez (see latent_dash/demo/autoencoder.py)",
        ) from None
    wrong = check_npz_arrays(arrays)
    if wrong:
        raise _problem(
            file,
            f"{path.name} is not a demo-style decoder: {wrong}",
            "save W0, b0, W1, b1, ..., activation and image_shape with np.savez "
            "(see latent_dash/demo/autoencoder.py save_decoder)",
        )
    return npz_function(arrays), int(arrays["W0"].shape[0])


def _import(spec: str, folder: Path, file: str) -> Callable:
    module_name, attribute = spec.strip().split(":")
    with _import_lock:
        extra = str(folder) not in sys.path
        if extra:
            sys.path.append(str(folder))  # after the installed packages: never shadows them
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise _problem(
                file,
                f"cannot import {module_name!r} for the decoder {spec!r} ({exc})",
                f"install the package that holds it, or put {module_name.split('.')[0]}.py beside "
                "the config (its folder is searched too); check the spelling",
            ) from None
        except Exception as exc:  # the user's module failed while importing
            raise _problem(
                file,
                f"importing {module_name!r} for the decoder failed: {type(exc).__name__}: {exc}",
                f"fix the error in {module_name}",
            ) from None
        finally:
            if extra:
                sys.path.remove(str(folder))
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = [
                n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))
            ]
            raise _problem(
                file,
                f"module {module_name!r} has no attribute {attribute!r}",
                f"define {attribute} in {module_name}, or name one of its callables: "
                + (", ".join(names[:12]) or "(it has none)"),
            )
        target = getattr(target, part)
    if not callable(target):
        raise _problem(
            file,
            f"{spec} is a {type(target).__name__}, not a function",
            "name a function that maps (M, D) latent arrays to (M, *image_shape) images",
        )
    return target


def load_decoder(
    spec: str,
    folder: Path,
    latent: np.ndarray,
    image_shape: tuple[int, ...] | None,
    file: str,
) -> Decoder:
    """Load and check the decoder a config names; raises ConfigError with one Problem.

    `latent` is the dataset's (N, D) latent (its first row is decoded as a test); `image_shape`
    the dataset's image shape (None without images), which the decoder's output must match.
    """
    spec = str(spec).strip()
    if not spec:
        raise _problem(file, "empty", "give a decoder .npz path or package.module:function")
    dims = int(latent.shape[1])
    if is_callable_spec(spec):
        function, takes = _import(spec, folder, file), None
    else:
        function, takes = _load_npz(spec, folder, file)
        if takes is not None and takes != dims:
            raise _problem(
                file,
                f"the decoder takes {takes}-D latent vectors but dataset.latent has {dims} dims",
                "point dataset.decoder at the decoder of this model (the same latent size)",
            )
    row = np.ascontiguousarray(latent[:1], dtype=np.float32)
    try:
        out = np.asarray(function(row.copy()))
    except Exception as exc:
        raise _problem(
            file,
            f"{spec} fails on the first latent row: {type(exc).__name__}: {exc}",
            f"make it accept a float32 numpy array of shape (M, {dims}) and return numpy "
            "images (M, H, W) or (M, H, W, C)",
        ) from None
    expected = f"(1, {', '.join(map(str, image_shape))})" if image_shape else "(1, H, W[, C])"
    what = " (the shape of dataset.images)" if image_shape else ""
    if not (np.issubdtype(out.dtype, np.number) or out.dtype == np.bool_):
        raise _problem(
            file,
            f"{spec} returns {out.dtype} values, not numbers",
            "return a numeric numpy array (e.g. tensor.detach().cpu().numpy())",
        )
    fits = out.shape == (1, *image_shape) if image_shape else out.ndim in (3, 4)
    if not fits or out.shape[0] != 1:
        raise _problem(
            file,
            f"{spec} returns shape {tuple(out.shape)} for one latent row of shape (1, {dims}); "
            f"expected {expected}{what}",
            "return one image per latent row, e.g. out.reshape(len(z), "
            + (", ".join(map(str, image_shape)) if image_shape else "H, W")
            + ")",
        )
    if not np.isfinite(out).all():
        raise _problem(
            file,
            f"{spec} returns NaN or inf values for the first latent row",
            "check the decoder's weights and input scaling",
        )
    return Decoder(spec, function, dims, tuple(int(s) for s in out.shape[1:]))


# --- what views call ------------------------------------------------------------------------


def has_decoder(dataset: Dataset) -> bool:
    return getattr(dataset, "decoder", None) is not None


def decode(dataset: Dataset, latent_rows: np.ndarray) -> np.ndarray:
    """Images (M, *image_shape) float32 for latent vectors (M, D) of a dataset's latent space."""
    decoder = getattr(dataset, "decoder", None)
    if decoder is None:
        raise LookupError(
            f"dataset {dataset.name!r} has no decoder; add dataset.decoder to its config"
        )
    return decoder(np.atleast_2d(latent_rows))


@lru_cache(maxsize=32)
def latent_ranges(dataset: Dataset, percentile: float) -> tuple[np.ndarray, np.ndarray]:
    """Per latent dim, the `percentile`-th and (100 - percentile)-th percentile of the samples."""
    lo, hi = np.percentile(dataset.latent, [percentile, 100.0 - percentile], axis=0)
    return lo.astype(np.float32), hi.astype(np.float32)


def traversal_latents(
    base: np.ndarray, dims: list[int], lo: np.ndarray, hi: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Latent rows varying each of `dims` from lo to hi in `steps`, others held at `base`.

    Returns (len(dims) * steps, D) rows (dim-major) and the (len(dims), steps) values used.
    """
    base = np.asarray(base, dtype=np.float32)
    values = np.linspace(lo[dims], hi[dims], steps, axis=1).astype(np.float32)
    rows = np.repeat(base[None, :], len(dims) * steps, axis=0)
    for r, d in enumerate(dims):
        rows[r * steps : (r + 1) * steps, d] = values[r]
    return rows, values


def interpolation_latents(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """`steps` latent rows evenly spaced on the straight line from a to b, both included."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float64)[:, None]
    a = np.asarray(a, dtype=np.float64)[None, :]
    b = np.asarray(b, dtype=np.float64)[None, :]
    return ((1.0 - t) * a + t * b).astype(np.float32)
