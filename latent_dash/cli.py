"""The `latent-dash` command: run the app, build demo data, validate, precompute, synthesize,
and write users-file lines.

`python app.py ARGS` is `latent-dash run ARGS`; gunicorn imports `app:server`, which reads the
config from the environment variable LATENT_DASH_CONFIG.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import time
from pathlib import Path

from latent_dash import storage
from latent_dash.auth import AuthSettings, exposure_warning, parse_users, user_line
from latent_dash.config import ComparisonOptions, ViewSpec, is_compare, parse_config
from latent_dash.data import Dataset, open_compare, open_config, with_data_problems
from latent_dash.errors import ConfigError
from latent_dash.menu import compare_members

CONFIG_ENV = "LATENT_DASH_CONFIG"
DEFAULT_CONFIG = Path("configs") / "default.yaml"


def default_config() -> Path:
    """LATENT_DASH_CONFIG if set, else configs/default.yaml of the working directory."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def missing_demos(configs: list[Path]) -> list[str]:
    """Names of the demos these configs use whose data is not built yet."""
    from latent_dash.demo import is_built

    names = set()
    for path in [m for p in configs for m in (compare_members(p) or (p,))]:
        try:
            demo = parse_config(path).config.dataset.demo
        except ConfigError:
            continue  # the page will show what is wrong with it
        if demo and not is_built(demo):
            names.add(demo)
    return sorted(names)


def _run(args: argparse.Namespace) -> int:
    from latent_dash.app import create_app
    from latent_dash.config import list_configs

    config = Path(args.config)
    if not config.is_file():
        print(
            f"{config}: config file not found. Fix: pass --config PATH to a YAML config "
            f"(see configs/), or set {CONFIG_ENV}.",
            file=sys.stderr,
        )
        return 2
    if not args.no_build:
        demos = missing_demos(list_configs(config.resolve().parent))
        if demos:
            from latent_dash.demo import ensure_demos

            print(
                f"First start: building the demo data ({', '.join(demos)}); later starts reuse it.",
                file=sys.stderr,
            )
            ensure_demos(demos)
    _report(config)
    try:
        auth = AuthSettings.from_env()
    except ConfigError as error:
        _print_problems("authentication", error)
        return 2
    warning = exposure_warning([args.host], auth)
    if warning:
        print(warning, file=sys.stderr)
    elif auth.enabled:
        print(f"Sign-in: {auth.mode}")
    app = create_app(config, auth=auth)
    print(storage.describe_cache(), file=sys.stderr)
    problem = storage.health()  # what the pages need: store, read back, delete
    if problem is not None:
        print(
            f"WARNING {problem}: selections and results cannot be kept. "
            f"Fix: set {storage.CACHE_ENV} to a writable folder",
            file=sys.stderr,
        )
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def _print_problems(what: str, error: ConfigError) -> None:
    print(f"ERROR {what}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)


def _report(path: Path) -> bool:
    """Print whether a config and its data load; True when they do."""
    try:
        if is_compare(path):
            compared, datasets = open_compare(path)
            models = ", ".join(f"{d.name} ({d.dims} dims)" for d in datasets)
            print(f"OK {path}: {compared.title}: compares {models} over {datasets[0].n:,} samples")
            _print_access(compared.config.access)
            return True
        try:
            loaded, dataset = open_config(path)
        except ConfigError as error:
            raise with_data_problems(path, error) from None
    except ConfigError as error:
        _print_problems(str(path), error)
        return False
    print(
        f"OK {path}: {loaded.title}: {dataset.n:,} samples x {dataset.dims} latent dims, "
        f"{len(loaded.views)} views"
    )
    _print_access(loaded.config.access)
    for warning in dataset.warnings:
        print(f"  warning: {warning}")
    return True


def _print_access(access: list[str] | None) -> None:
    if access:
        print(f"  access: only {', '.join(access)} (when the server signs users in)")


def _validate(args: argparse.Namespace) -> int:
    results = [_report(Path(p)) for p in args.configs]
    return 0 if all(results) else 1


def _demo(args: argparse.Namespace) -> int:
    from latent_dash.demo import DEMOS, build_demo

    for name in args.names or list(DEMOS):
        if name not in DEMOS:
            print(f"unknown demo {name!r}. Fix: use one of {', '.join(DEMOS)}", file=sys.stderr)
            return 2
        folder = build_demo(name, force=args.force)
        print(f"{name}: {folder}")
    return 0


def _precompute(args: argparse.Namespace) -> int:
    """Compute what the configs' pages would compute first into the results cache: the
    embeddings their embedding views name, the disentanglement summary of their correlation
    views, and a comparison page's metrics."""
    ok = True
    for path in map(Path, args.configs):
        storage.use_config_folder(path.resolve().parent)  # the cache the server of it reads
        if not _report(path):
            ok = False
            continue
        if is_compare(path):
            loaded, datasets = open_compare(path)
            for dataset in datasets:
                ok &= _precompute_embeddings(loaded.views, dataset, f"{dataset.name}: ")
                _precompute_disentanglement(loaded.views, dataset, f"{dataset.name}: ")
            ok &= _precompute_comparison(loaded.config.comparison, datasets[0], datasets[1])
        else:
            loaded, dataset = open_config(path)
            ok &= _precompute_embeddings(loaded.views, dataset)
            _precompute_disentanglement(loaded.views, dataset)
        print(f"  {storage.describe_cache()}")
    return 0 if ok else 1


def _precompute_embeddings(views: tuple[ViewSpec, ...], dataset: Dataset, prefix: str = "") -> bool:
    from latent_dash.compute import embedding

    specs = [v for v in views if v.kind == "embedding"]
    if not specs:
        print(f"  {prefix}no embedding views")
    ok = True
    for spec in specs:
        method = spec.options.method
        params = {k: v for k, v in spec.options.model_dump().items() if k in embedding.DEFAULTS}
        what = f"  {prefix}{spec.id}: {embedding.describe(method, params)} of {dataset.n:,} samples"
        if spec.options.on != "all":
            print(f"{what}: skipped (it embeds the selection made in the page)")
            continue
        start = time.perf_counter()
        try:
            cached = embedding.lookup(dataset.latent, method, params)[1] is not None
            embedding.embed(dataset.latent, method, params)
        except ValueError as error:
            print(f"{what}: ERROR {error}", file=sys.stderr)
            ok = False
            continue
        took = time.perf_counter() - start
        print(f"{what}: {'already cached' if cached else 'computed in'} {took:.1f} s")
    return ok


def _precompute_disentanglement(
    views: tuple[ViewSpec, ...], dataset: Dataset, prefix: str = ""
) -> None:
    """The disentanglement summary each correlation view shows (against its targets)."""
    from latent_dash.views.correlation import summary_result, target_names

    for spec in [v for v in views if v.kind == "correlation"]:
        targets = target_names(dataset, spec.options.targets)
        if not targets:
            continue
        start = time.perf_counter()
        summary_result(dataset, targets)
        took = time.perf_counter() - start
        print(f"  {prefix}{spec.id}: disentanglement against {len(targets)} targets: {took:.1f} s")


def _precompute_comparison(options: ComparisonOptions, a: Dataset, b: Dataset) -> bool:
    """The metrics of the pair a comparison page opens on (its first two models), with each
    model's disentanglement scores of its summary table."""
    from latent_dash.compute.comparison import compare_pair
    from latent_dash.views.comparison import disentanglement_scores

    start = time.perf_counter()
    compare_pair(a.latent, b.latent, a.params, options.k, options.ks)
    disentanglement_scores(a, b)
    took = time.perf_counter() - start
    print(f"  metrics of {a.name} against {b.name}: {took:.1f} s")
    return True


def _synth(args: argparse.Namespace) -> int:
    """Write a seeded synthetic dataset and its config (for scale tests; never committed)."""
    from latent_dash.synthetic import SynthSpec, default_folder, synthesize

    out = Path(args.out) if args.out else default_folder(args.n, args.dims)
    spec = SynthSpec(
        n=args.n, dims=args.dims, clusters=args.clusters, image_size=args.image_size,
        seed=args.seed,
    )  # fmt: skip
    start = time.perf_counter()
    try:
        config = synthesize(out, spec, force=args.force)
    except FileExistsError as error:
        print(f"{error}. Fix: pass --force to replace it, or another --out", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"{error}", file=sys.stderr)
        return 2
    print(f"wrote {config} in {time.perf_counter() - start:.1f} s")
    return 0 if _report(config) else 1


def _read_password(prompt: str) -> str:
    """From a prompt on a terminal (asked twice), else the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _user_add(args: argparse.Namespace) -> int:
    """Print (or append to --file) a users-file line with a salted hash of the password."""
    groups = [g.strip() for g in (args.groups or "").split(",") if g.strip()]
    target = Path(args.file) if args.file else None
    try:
        if target is not None and target.exists():
            text = target.read_text(encoding="utf-8")
            if args.name in parse_users(text, str(target), need_hashes=False):
                print(f"{target}: user {args.name!r} is already listed. Fix: remove that line "
                      "first to give them a new password or groups", file=sys.stderr)  # fmt: skip
                return 2
        line = user_line(args.name, groups, _read_password(f"Password for {args.name}: "))
    except ValueError as error:
        print(f"{error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        _print_problems(str(target), error)
        return 2
    if target is None:
        print(line)
        return 0
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    ends_open = bool(text) and not text.endswith("\n")
    # a new file is readable by its owner only: it holds password hashes
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as out:
        out.write(("\n" if ends_open else "") + line + "\n")
    print(f"added {args.name} to {target}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latent-dash", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve the app (default: configs/default.yaml)")
    run.add_argument("--config", default=str(default_config()), help="YAML config to open")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8050)
    run.add_argument("--debug", action="store_true", help="Dash dev tools and reloading")
    run.add_argument("--no-build", action="store_true", help="do not build missing demo data")
    run.set_defaults(func=_run)

    demo = commands.add_parser("demo", help="build the demo data (trains the autoencoders)")
    demo.add_argument("names", nargs="*", help="digits, implosion (default: all)")
    demo.add_argument("--force", action="store_true", help="rebuild even if built")
    demo.set_defaults(func=_demo)

    validate = commands.add_parser("validate", help="check configs and their data")
    validate.add_argument("configs", nargs="+", metavar="CONFIG")
    validate.set_defaults(func=_validate)

    precompute = commands.add_parser(
        "precompute", help="compute the embeddings the configs name into the cache, ahead of use"
    )
    precompute.add_argument("configs", nargs="+", metavar="CONFIG")
    precompute.set_defaults(func=_precompute)

    synth = commands.add_parser(
        "synth", help="write a seeded synthetic dataset + config (scale tests; not committed)"
    )
    synth.add_argument("--n", type=int, default=1_000_000, help="samples (default 1,000,000)")
    synth.add_argument("--dims", type=int, default=16, help="latent dims (default 16)")
    synth.add_argument("--clusters", type=int, default=12, help="clusters (default 12)")
    synth.add_argument(
        "--image-size", type=int, default=16, help="side of the uint8 images; 0: none (16)"
    )
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument(
        "--out", help="folder to write (default synthetic-data/synth-NxD, git-ignored)"
    )
    synth.add_argument("--force", action="store_true", help="replace a non-empty folder")
    synth.set_defaults(func=_synth)

    user = commands.add_parser("user", help="write users-file lines (LATENT_DASH_USERS)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser(
        "add", help="a line with a hashed password, read from a prompt or stdin"
    )
    add.add_argument("name", help="user name: letters, digits and . _ @ + -")
    add.add_argument("--groups", default="", help="comma-separated groups, e.g. physics,admins")
    add.add_argument("--file", help="append the line to this users file (default: print it)")
    add.set_defaults(func=_user_add)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)
