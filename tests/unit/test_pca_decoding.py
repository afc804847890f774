"""Decoding a point of the PCA plane: the inverse transform lands on the drawn coordinates."""

from __future__ import annotations

import numpy as np

from latent_dash.compute import embedding


def test_pca_plane_inverts_the_drawn_embedding_on_planar_data():
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(2, 6))
    latent = (rng.normal(size=(300, 2)) @ plane + 3.0).astype(np.float32)  # a 2-D plane in 6-D
    _, coords = embedding.embed(latent, "pca")
    mean, axes = embedding.pca_plane(latent)
    back = mean + coords.astype(np.float64) @ axes
    np.testing.assert_allclose(back, latent, atol=1e-4)


def test_pca_plane_projects_off_plane_data_onto_it():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(200, 5)).astype(np.float32)
    _, coords = embedding.embed(latent, "pca")
    mean, axes = embedding.pca_plane(latent)
    back = mean + coords.astype(np.float64) @ axes
    # the residual is orthogonal to the plane: projecting it again gives nothing
    np.testing.assert_allclose((latent - back) @ axes.T, 0, atol=1e-4)
