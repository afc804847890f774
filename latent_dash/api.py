"""The Python API: explore arrays from a notebook or a script, NDDAV style.

    from latent_dash import Explorer

    vis = Explorer(layout={"row": [{"column": ["Scatter Plot", "Parallel Coordinate"]},
                                   {"column": ["Image", "traversal"]}]})
    vis.add_data(latent, images=images, params=params, metadata=frame, decoder=my_decoder)
    vis.show()              # inline in a notebook; a server thread and its URL in a script
    ...                     # select samples in the page
    vis.selection           # -> indices of the samples selected there
    vis.save("run42")       # arrays + config.yaml: `python app.py --config run42/config.yaml`

`add_data` writes the arrays into a private working folder beside a config and loads that config
through `latent_dash.data`, exactly as a YAML config is loaded: one validation code path, the
same checks and messages, except that a problem names the argument (`add_data(params=...)`)
instead of a config key. Each `add_data` with a new `name` adds a dataset to the page's menu.
"""

from __future__ import annotations

import copy
import importlib
import itertools
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from latent_dash.config import parse_config, read_yaml
from latent_dash.data import Dataset, open_config
from latent_dash.decoding import is_callable_spec
from latent_dash.errors import ConfigError, Problem

__all__ = ["DataError", "Explorer"]

ARGUMENTS = (
    "latent_names",  # longest first: "dataset.latent" is a prefix of "dataset.latent_names"
    "latent",
    "images",
    "image_shape",
    "params",
    "param_names",
    "metadata",
    "decoder",
    "name",
)
_aliases = itertools.count(1)


class DataError(ConfigError, ValueError):
    """Arguments of Explorer or add_data that cannot be used; `.problems` lists every one."""


@dataclass
class _Entry:
    """One dataset given to add_data: its config in the working folder and how to save it."""

    name: str
    slug: str
    config: Path  # <work>/<slug>.yaml
    files: Path  # <work>/<slug>/v<k>/: the arrays (and a decoder .npz) of this version
    raw: dict[str, Any]  # the config as written, paths relative to the working folder
    decoder_saved: str | None  # dataset.decoder in a saved config (relative to files/)
    decoder_note: str | None  # why the decoder cannot be saved, if so


def _plain(value: Any) -> Any:
    """Mappings, tuples and numpy scalars as the plain dicts, lists and numbers YAML writes."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "data"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, VS Code notebooks) or Google Colab."""
    if "google.colab" in sys.modules:
        return True
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    instance = get() if get else None
    return instance is not None and type(instance).__name__ == "ZMQInteractiveShell"


def _importable_name(function: Callable) -> str | None:
    """ "module:qualname" when a later process can import this very function, else None."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<" in qualname:
        return None
    try:
        target: Any = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception:
        return None
    return f"{module}:{qualname}" if target is function else None


class Explorer:
    """Linked views of arrays held in Python (NDDAV's `vis` object).

    `layout`: an NDDAV-style layout ({"row": [{"column": [...]}, ...]} of view kinds, NDDAV panel
    names such as "Scatter Plot" accepted), a whole config mapping with `layout` and `views`
    keys, or the path of a YAML config whose layout and views are used (and whose own dataset is
    shown when add_data is never called). None: scatter and parallel coordinates, with the
    images, a table and a latent traversal as the data allow. `views`: options per view, as under
    `views:` in a config (docs/configs.md). `workdir`: where the arrays are written (default: a
    private temporary folder, removed when the Explorer is garbage collected or Python exits).
    """

    def __init__(
        self,
        layout: Mapping[str, Any] | str | os.PathLike | None = None,
        *,
        views: Mapping[str, Mapping[str, Any]] | None = None,
        title: str | None = None,
        description: str | None = None,
        workdir: str | os.PathLike | None = None,
    ):
        self._source: Path | None = None  # a config file given as the layout
        self._title: str | None = None
        self._description: str | None = None
        self._layout, self._views = self._read_layout(_plain(layout))
        if views is not None:
            self._views = _plain(views)
        self._title = title if title is not None else self._title
        self._description = description if description is not None else self._description
        if self._layout is not None:
            self._check_layout()
        if workdir is None:
            self._work = Path(tempfile.mkdtemp(prefix="latent-dash-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._work, ignore_errors=True)
        else:
            self._work = Path(workdir).resolve()
            self._work.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, _Entry] = {}
        self._versions = itertools.count(1)
        self._lock = threading.Lock()
        self._selection: tuple[str | None, np.ndarray] = (None, np.zeros(0, dtype=np.int64))
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    # --- layout -------------------------------------------------------------------------------

    def _read_layout(self, layout) -> tuple[Any, dict[str, dict[str, Any]]]:
        if layout is None:
            return None, {}
        if isinstance(layout, os.PathLike) or (
            isinstance(layout, str) and layout.lower().endswith((".yaml", ".yml"))
        ):
            path = Path(layout).resolve()
            try:
                raw = read_yaml(path)
            except ConfigError as error:
                raise DataError(self._layout_problems(error.problems)) from None
            if not isinstance(raw, dict):
                raise DataError(
                    [
                        Problem(
                            "Explorer(layout=...)",
                            "",
                            f"{path} is not a config (a mapping with layout and views)",
                            "pass a layout mapping, or the path of a YAML config",
                        )
                    ]
                )
            if "dataset" in raw:
                self._source = path
            self._title, self._description = raw.get("title"), raw.get("description")
            return raw.get("layout", {"row": [{"column": ["scatter"]}]}), dict(
                raw.get("views") or {}
            )
        if isinstance(layout, Mapping) and ("layout" in layout or "views" in layout):
            return layout.get("layout"), dict(layout.get("views") or {})
        return layout, {}

    @staticmethod
    def _layout_problems(problems: list[Problem]) -> list[Problem]:
        out = []
        for p in problems:
            if p.key.startswith("views"):
                out.append(Problem("Explorer(views=...)", p.key[len("views.") :], p.message, p.fix))
            else:
                key = p.key[len("layout.") :] if p.key.startswith("layout.") else ""
                out.append(Problem("Explorer(layout=...)", key, p.message, p.fix))
        return out

    def _check_layout(self) -> None:
        """Parse the layout and view options now, so a typo fails here and not at add_data."""
        with tempfile.TemporaryDirectory(prefix="latent-dash-check-") as folder:
            path = Path(folder) / "layout.yaml"
            raw = {"dataset": {"latent": "latent.npy"}, "layout": self._layout}
            if self._views:
                raw["views"] = self._views
            path.write_text(yaml.safe_dump(raw, sort_keys=False))
            try:
                parse_config(path)
            except ConfigError as error:
                raise DataError(self._layout_problems(error.problems)) from None

    @staticmethod
    def _default_layout(images: bool, decoder: bool) -> dict[str, Any]:
        right = (["images"] if images else ["table"]) + (["traversal"] if decoder else [])
        return {"row": [{"column": ["scatter", "parcoords"]}, {"column": right}]}

    # --- data ---------------------------------------------------------------------------------

    def add_data(
        self,
        latent: Any,
        images: Any = None,
        params: Any = None,
        metadata: Any = None,
        name: str | None = None,
        latent_names: list[str] | None = None,
        param_names: list[str] | None = None,
        image_shape: list[int] | tuple[int, ...] | None = None,
        decoder: Any = None,
    ) -> Dataset:
        """Add (or, for a name already given, replace) a dataset; returns it, loaded and checked.

        - latent: (N, D) numbers, D >= 2: a numpy array (or anything np.asarray takes) or a
          DataFrame, whose column names become the latent dims' names.
        - images: (N, H, W), (N, H, W, C), or flat (N, H*W*C) with image_shape.
        - params: (N, P) physical inputs, an array or a DataFrame (column names kept).
        - metadata: a DataFrame (or a dict of columns, or an array) of per-sample labels,
          scalar outputs and text.
        - decoder: turns latent points back into images (the traversal and interpolation views):
          a function mapping (M, D) float32 arrays to (M, *image_shape) images, a
          "package.module:function" string, the path of a demo-style decoder .npz, or that
          .npz's arrays as a dict.
        Row i of every argument describes sample i (a DataFrame's index is not used). Samples
        with NaN or inf latent or parameter values are dropped with a warning. Every problem
        raises DataError naming the argument and the fix.
        """
        name = str(name) if name is not None else self._next_name()
        old = self._entries.get(name)
        slug = old.slug if old else self._unique_slug(_slug(name))
        version = f"v{next(self._versions)}"
        files = self._work / slug / version
        files.mkdir(parents=True)
        relative = f"{slug}/{version}"
        problems: list[Problem] = []
        dataset_raw: dict[str, Any] = {"name": name}
        arrays = {"latent": latent, "images": images, "params": params, "metadata": metadata}
        for argument, value in arrays.items():
            if value is None:
                continue
            stored = self._write(argument, value, files, problems)
            if stored is not None:
                dataset_raw[argument] = f"{relative}/{stored}"
        for argument, value in (
            ("latent_names", latent_names),
            ("param_names", param_names),
            ("image_shape", image_shape),
        ):
            if value is not None:
                dataset_raw[argument] = [
                    int(v) if argument == "image_shape" else str(v) for v in value
                ]
        decoder_saved: str | None = None
        decoder_note: str | None = None
        alias: tuple[str, str] | None = None
        if decoder is not None:
            try:
                spec, decoder_saved, decoder_note, alias = self._decoder(decoder, files, relative)
            except DataError as error:
                problems += error.problems
            else:
                dataset_raw["decoder"] = spec
        if problems:
            self._discard(files)
            raise DataError(problems)

        layout = self._layout
        if layout is None:
            layout = self._default_layout(images is not None, decoder is not None)
        title = self._title or name
        if self._title and any(n != name for n in self._entries):
            title = f"{self._title}: {name}"  # the menu tells the datasets apart
        raw: dict[str, Any] = {"title": title}
        if self._description:
            raw["description"] = self._description
        raw["dataset"] = dataset_raw
        raw["layout"] = layout
        if self._views:
            raw["views"] = self._views
        config = self._work / f"{slug}.yaml"
        previous = config.read_text() if config.exists() else None
        config.write_text(yaml.safe_dump(raw, sort_keys=False))
        try:
            _, dataset = open_config(config)
        except ConfigError as error:
            if previous is None:
                config.unlink()
            else:
                config.write_text(previous)
            self._discard(files)
            raise DataError(self._translate(error.problems, alias)) from None
        if old is not None:
            shutil.rmtree(old.files, ignore_errors=True)
        self._entries[name] = _Entry(name, slug, config, files, raw, decoder_saved, decoder_note)
        for text in dataset.warnings:
            warnings.warn(f"add_data: {text.replace('file rows', 'rows')}", stacklevel=2)
        return dataset

    @staticmethod
    def _discard(files: Path) -> None:
        """Remove a version folder that failed (and its dataset folder, if left empty)."""
        shutil.rmtree(files, ignore_errors=True)
        if files.parent.is_dir() and not any(files.parent.iterdir()):
            files.parent.rmdir()

    def _next_name(self) -> str:
        for k in itertools.count(1):
            name = "data" if k == 1 else f"data-{k}"
            if name not in self._entries:
                return name
        raise AssertionError  # pragma: no cover

    def _unique_slug(self, slug: str) -> str:
        taken = {e.slug for e in self._entries.values()}
        candidate, k = slug, 2
        while candidate in taken:
            candidate, k = f"{slug}-{k}", k + 1
        return candidate

    @staticmethod
    def _write(argument: str, value: Any, folder: Path, problems: list[Problem]) -> str | None:
        """Store one argument as .npy or .parquet in folder; the file name, or None on failure."""
        where = f"add_data({argument}=...)"
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if argument == "metadata" and isinstance(value, Mapping):
            value = pd.DataFrame(dict(value))
        if isinstance(value, pd.DataFrame):
            frame = value.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
            try:
                frame.to_parquet(folder / f"{argument}.parquet", index=False)
            except Exception as exc:
                problems.append(
                    Problem(
                        where,
                        "",
                        f"the table cannot be stored ({type(exc).__name__}: {exc})",
                        "give columns of numbers, strings or booleans, one type a column",
                    )
                )
                return None
            return f"{argument}.parquet"
        try:
            array = np.asarray(value)
        except Exception as exc:
            problems.append(
                Problem(where, "", f"not an array ({exc})", "pass a numpy array or a DataFrame")
            )
            return None
        if array.dtype == object and argument == "metadata":
            frame = pd.DataFrame(array if array.ndim == 2 else {"c0": array})
            return Explorer._write(argument, frame, folder, problems)
        if array.dtype == object:
            problems.append(
                Problem(
                    where,
                    "",
                    "the values are not numeric (dtype object)",
                    "pass numbers, e.g. np.asarray(x, dtype=np.float32); put text in metadata",
                )
            )
            return None
        np.save(folder / f"{argument}.npy", array, allow_pickle=False)
        return f"{argument}.npy"

    @staticmethod
    def _decoder_problem(message: str, fix: str) -> DataError:
        return DataError([Problem("add_data(decoder=...)", "", message, fix)])

    def _decoder(
        self, decoder: Any, folder: Path, relative: str
    ) -> tuple[str, str | None, str | None, tuple[str, str] | None]:
        """(spec in the working config, spec in a saved config or None, why not, alias).

        Raises DataError for something that is not a decoder at all.
        """
        if isinstance(decoder, str) and is_callable_spec(decoder):
            return decoder.strip(), decoder.strip(), None, None
        if isinstance(decoder, (str, os.PathLike)):
            path = Path(decoder).resolve()
            if not path.is_file():
                raise self._decoder_problem(
                    f"decoder file {path} not found",
                    f"check the path (relative to the working directory {Path.cwd()}), or name "
                    "a function as 'package.module:function'",
                )
            shutil.copyfile(path, folder / "decoder.npz")
            return f"{relative}/decoder.npz", "decoder.npz", None, None
        if isinstance(decoder, Mapping):
            try:
                np.savez(
                    folder / "decoder.npz", **{str(k): np.asarray(v) for k, v in decoder.items()}
                )
            except Exception as exc:
                raise self._decoder_problem(
                    f"the decoder's arrays cannot be stored ({exc})",
                    "give a dict of numeric arrays W0, b0, ..., activation, image_shape",
                ) from None
            return f"{relative}/decoder.npz", "decoder.npz", None, None
        if callable(decoder):
            attribute = f"_decoder_{next(_aliases)}"
            setattr(sys.modules[__name__], attribute, decoder)  # the config names it in-process
            spec = f"{__name__}:{attribute}"
            shown = getattr(decoder, "__name__", None) or type(decoder).__name__
            saved = _importable_name(decoder)
            note = None
            if saved is None:
                note = (
                    f"the decoder {shown} is not saved: a config can only name a function that "
                    "can be imported (not a lambda, a closure, an object or a function of "
                    "__main__). Put it in a module and pass decoder='package.module:function', "
                    "or add dataset.decoder to the saved config by hand."
                )
            return spec, saved, note, (spec, shown)
        raise self._decoder_problem(
            f"a {type(decoder).__name__} is not a decoder",
            "pass a function (M, D) -> (M, *image_shape), a 'package.module:function' string, "
            "the path of a demo-style decoder .npz, or its arrays as a dict",
        )

    def _translate(self, problems: list[Problem], alias: tuple[str, str] | None) -> list[Problem]:
        """Problems of the working config, reworded for add_data's arguments."""
        work = re.escape(str(self._work))

        def words(text: str) -> str:
            text = re.sub(work + r"/[^\s:,()]*: ", "", text)  # "<file>: message" -> "message"
            text = re.sub(work + r"/[^\s:,()]*", "the array", text)
            text = re.sub(r"\b(latent|images|params|metadata)\.(npy|parquet)\b", "the array", text)
            text = re.sub(r" in \S*the array\b", "", text)  # "has 9 rows in <file>": no file
            text = re.sub(r"under dataset\.(\w+)\.columns", r"in the \1 table", text)
            text = text.replace("add image_shape: ", "pass image_shape=")
            if alias:
                text = text.replace(alias[0], alias[1])
            for argument in ARGUMENTS:
                text = text.replace(f"dataset.{argument}", f"add_data({argument}=...)")
            return text

        out = []
        for p in problems:
            parts = p.key.split(".")
            if parts[0] == "dataset" and len(parts) > 1 and parts[1] in ARGUMENTS:
                where, key = f"add_data({parts[1]}=...)", ".".join(parts[2:])
            elif parts[0] == "dataset":
                where, key = "add_data", ""
            elif parts[0] == "views":
                where, key = "Explorer(views=...)", ".".join(parts[1:])
            else:
                where, key = "Explorer(layout=...)", ".".join(parts[1:])
            out.append(Problem(where, key, words(p.message), words(p.fix)))
        return out

    # --- serving ------------------------------------------------------------------------------

    def _start_config(self) -> Path:
        if self._entries:
            return next(iter(self._entries.values())).config
        if self._source is not None:
            return self._source
        raise RuntimeError("nothing to show yet: call vis.add_data(latent, ...) first")

    def _on_selection(self, config_key: str, rows: np.ndarray | None) -> None:
        indices = np.zeros(0, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        with self._lock:
            self._selection = (config_key, indices)

    @property
    def selection(self) -> np.ndarray:
        """Indices (int64, ascending) of the samples selected in the running app; empty if none.

        They index the arrays given to add_data (rows dropped for NaN values are never among
        them), so `latent[vis.selection]` is the selected samples.

        The page reports every selection it registers (box, lasso, brush, clear) to this process
        through create_app's `on_selection` hook; the last one is kept here. It is single-user,
        in-process state for notebooks and scripts: the deployed server (app.py, gunicorn) keeps
        no such state, and with several pages open the last selection made in any of them wins.
        """
        with self._lock:
            return self._selection[1].copy()

    @property
    def selection_dataset(self) -> str | None:
        """The name of the dataset `selection` indexes (several may be in the menu)."""
        with self._lock:
            key = self._selection[0]
        for entry in self._entries.values():
            if entry.slug == key:
                return entry.name
        return key

    def show(
        self,
        port: int | None = None,
        mode: str = "auto",
        host: str = "127.0.0.1",
    ) -> None:
        """Serve the app on every dataset added (a menu switches between them).

        mode "browser": the server runs in a background thread of this process and the URL is
        printed (open it in a browser); show() returns at once and the server lives as long as
        the process (vis.stop() ends it). "inline": inside the notebook, through Dash's Jupyter
        support. "auto": inline in a notebook, else browser. port None picks a free port.
        Call show() again after add_data with a new name to see it in the menu.
        """
        if mode not in ("auto", "browser", "inline"):
            raise ValueError(f"mode must be 'auto', 'browser' or 'inline', not {mode!r}")
        from latent_dash.app import create_app

        config = self._start_config()
        if mode == "auto":
            mode = "inline" if _in_notebook() else "browser"
        self.stop()
        app = create_app(config, on_selection=self._on_selection, embeddable=True)
        port = int(port) if port else _free_port(host)
        self.url = f"http://{host}:{port}/"
        if mode == "inline":
            from dash import jupyter_dash

            if jupyter_dash.active:
                app.run(jupyter_mode="inline", host=host, port=port)
                return
            print("mode='inline' needs a Jupyter notebook; serving in the background instead")
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass  # no line per request in a notebook or script

        try:
            server = make_server(
                host, port, app.server, threaded=True, request_handler=QuietHandler
            )
        except OSError as exc:
            raise OSError(
                f"cannot serve on {host}:{port} ({exc}); pass another port, or port=None for a "
                "free one"
            ) from None
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"latent-dash-{port}", daemon=True
        )
        self._thread.start()
        print(f"latent-dash is serving at {self.url}  (vis.stop() ends it)")

    def stop(self) -> None:
        """Stop the server show() started in this process (browser mode), if any."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- saving -------------------------------------------------------------------------------

    def save(self, folder: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write the arrays and a config per dataset; returns folder/config.yaml.

        The first dataset's config is config.yaml, any others <name>.yaml (a folder of configs
        is a menu); the arrays go in one subfolder per dataset, and every path in the configs
        is relative, so the folder can be moved. `python app.py --config folder/config.yaml`
        serves it. A folder that exists and is not empty is never written unless
        overwrite=True, which replaces the files of these names and leaves any others.
        A decoder given as a Python function is saved as "module:function" when it can be
        imported by name; otherwise the config is written without it (with a warning).
        """
        if not self._entries:
            raise RuntimeError("nothing to save: call vis.add_data(latent, ...) first")
        folder = Path(folder).resolve()
        if folder.exists() and not folder.is_dir():
            raise FileExistsError(f"{folder} is a file; give a folder to save into")
        if folder.is_dir() and any(folder.iterdir()) and not overwrite:
            raise FileExistsError(
                f"{folder} is not empty; choose a new folder, or pass overwrite=True to replace "
                "the files save() writes there"
            )
        folder.mkdir(parents=True, exist_ok=True)
        first = None
        for i, entry in enumerate(self._entries.values()):
            target = folder / entry.slug
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(entry.files, target)
            raw = copy.deepcopy(entry.raw)
            dataset = raw["dataset"]
            prefix = entry.files.relative_to(self._work).as_posix() + "/"
            for key in ("latent", "images", "params", "metadata"):
                if key in dataset:
                    dataset[key] = entry.slug + "/" + dataset[key].removeprefix(prefix)
            dataset.pop("decoder", None)
            if entry.decoder_saved is not None:
                spec = entry.decoder_saved
                dataset["decoder"] = spec if is_callable_spec(spec) else f"{entry.slug}/{spec}"
            elif entry.decoder_note:
                warnings.warn(f"save: {entry.decoder_note}", stacklevel=2)
            config = folder / ("config.yaml" if i == 0 else f"{entry.slug}.yaml")
            config.write_text(yaml.safe_dump(raw, sort_keys=False))
            first = first or config
        assert first is not None
        return first

    def __repr__(self) -> str:
        names = ", ".join(self._entries) or "no data yet"
        return f"<Explorer ({names}){' at ' + self.url if self.url else ''}>"
