"""Explore scikit-learn's handwritten digits with latent-dash's Python API.

Trains a small autoencoder on the 1,797 8x8 digits (scikit-learn only, a few seconds), then
hands its 10-D latent, the images, the labels and its decoder to an Explorer:

    python examples/explore_digits.py                 # serve; Enter prints the selection
    python examples/explore_digits.py --port 8061     # a fixed port
    python examples/explore_digits.py --no-serve --save out/digits   # add_data + save only

A saved folder is served later with `python app.py --config out/digits/config.yaml`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from latent_dash import Explorer
from latent_dash.demo import digits
from latent_dash.demo.autoencoder import decode, decoder_arrays, encode, train_autoencoder

LAYOUT = {
    "row": [
        {"column": ["Scatter Plot", "Parallel Coordinate"]},
        {"column": ["Image", "traversal", "interpolation"]},
    ]
}
VIEWS = {
    "scatter": {"x": "z0", "y": "z1", "color": "label"},
    "parcoords": {"color": "recon_error"},
    "traversal": {"dims": ["z0", "z1", "z2", "z3", "z4"], "size": 48},
    "interpolation": {"size": 48},
}


def quick_autoencoder(epochs: int, latent: int, n: int | None, seed: int = 0):
    """(latent DataFrame, images, metadata, decoder arrays) of a freshly trained autoencoder."""
    images, labels = digits.load(n)
    x = images.reshape(len(images), -1)
    with threadpool_limits(limits=1, user_api="blas"):  # steady speed on a busy machine
        model = train_autoencoder(
            x, latent, hidden=128, epochs=epochs, learning_rate=0.003, seed=seed
        )
        z = encode(model, x).astype(np.float32)
    decoder = decoder_arrays(model, images.shape[1:])
    error = ((decode(z, decoder).reshape(len(x), -1) - x) ** 2).mean(axis=1)
    frame = pd.DataFrame(z, columns=[f"z{i}" for i in range(latent)])
    metadata = pd.DataFrame({"label": labels, "recon_error": error})
    return frame, images, metadata, decoder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200, help="training epochs (default 200)")
    parser.add_argument("--latent", type=int, default=10, help="latent dims (default 10)")
    parser.add_argument("--n", type=int, default=None, help="use the first N digits only")
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    parser.add_argument("--save", type=Path, default=None, help="save the arrays and a config")
    parser.add_argument("--no-serve", action="store_true", help="add_data and save, no server")
    args = parser.parse_args(argv)

    print(f"training a {args.latent}-D autoencoder for {args.epochs} epochs ...", flush=True)
    latent, images, metadata, decoder = quick_autoencoder(args.epochs, args.latent, args.n)
    vis = Explorer(layout=LAYOUT, views=VIEWS, title=f"Digits, {args.latent}-D latent (API)")
    dataset = vis.add_data(latent, images=images, metadata=metadata, decoder=decoder, name="digits")
    print(f"added {dataset.n} samples x {dataset.dims} latent dims")

    if args.save is not None or args.no_serve:
        folder = args.save or Path(tempfile.mkdtemp(prefix="explore-digits-")) / "saved"
        config = vis.save(folder, overwrite=args.save is not None)
        print(f"saved: python app.py --config {config}")
    if args.no_serve:
        return 0

    vis.show(port=args.port, mode="browser")
    labels = metadata["label"].to_numpy()
    while True:
        try:
            line = input("Select samples in the page; Enter prints the selection, q quits: ")
        except (EOFError, KeyboardInterrupt):
            break
        if line.strip().lower() in ("q", "quit", "exit"):
            break
        chosen = vis.selection
        if chosen.size == 0:
            print("nothing selected")
            continue
        counts = pd.Series(labels[chosen]).value_counts().sort_index()
        shown = ", ".join(str(i) for i in chosen[:20]) + (" ..." if chosen.size > 20 else "")
        print(f"{chosen.size} selected: {shown}")
        print("labels: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    vis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
