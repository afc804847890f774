"""The catalogue of view kinds: their names, NDDAV aliases and option models.

It lives apart from `views/` so that a config can be validated (`latent-dash validate`) without
building any Dash component. A kind's options are a pydantic model, so the YAML is checked and
documented by the same class; fields typed `ColumnRef` must name a column of the dataset.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COLUMN_REF = "column"
LATENT = "latent"
NUMERIC = "numeric"


def column_option(description: str) -> Any:
    """An optional option whose value must name a column of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: True})


def latent_option(description: str) -> Any:
    """An optional option whose value must name a latent dim of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: LATENT})


def numeric_option(description: str) -> Any:
    """An optional option whose value must name a numeric column of the dataset."""
    return Field(None, description=description, json_schema_extra={COLUMN_REF: NUMERIC})


class ViewOptions(BaseModel):
    """Options every view accepts."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, description="Panel title; defaults to the kind's name.")


class ScatterOptions(ViewOptions):
    """A 2-D scatter plot of any two columns, coloured by a third."""

    x: str | None = column_option("Column on the x axis (default: the first latent dim).")
    y: str | None = column_option("Column on the y axis (default: the second latent dim).")
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )


class ParcoordsOptions(ViewOptions):
    """Parallel coordinates over chosen columns."""

    dims: list[str] | None = column_option(
        "Columns drawn as axes, in order (default: the latent dims, at most 60)."
    )
    color: str | None = numeric_option("Numeric column that colours the lines (default: none).")


class ImagesOptions(ViewOptions):
    """Mean and variance images of the selection, the focus sample, and a paged gallery."""

    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of one-channel images (see imaging.COLORMAPS)."
    )
    channel: str | None = Field(
        None, description='Channel shown: "rgb" or a channel number (default: the first choice).'
    )
    sort_by: str | None = numeric_option(
        "Numeric column the gallery is sorted by (default: index)."
    )
    descending: bool = Field(False, description="Sort the gallery from the largest value down.")
    page_size: int = Field(24, ge=6, le=96, description="Thumbnails per gallery page.")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SplomOptions(ViewOptions):
    """A scatterplot matrix of chosen columns."""

    dims: list[str] | None = column_option(
        "Columns of the matrix (default: the first 5 latent dims)."
    )
    color: str | None = column_option("Column that colours the points (default: none).")


class NeighborsOptions(ViewOptions):
    """The focus sample's nearest neighbours in latent space and in parameter space."""

    k: int = Field(10, ge=1, le=100, description="Number of neighbours listed.")
    metric: Literal["euclidean", "cosine"] = Field(
        "euclidean", description="Distance in latent space: euclidean or cosine."
    )


class FiltersOptions(ViewOptions):
    """Range sliders over chosen columns that hide samples in every view."""

    columns: list[str] | None = numeric_option(
        "Numeric columns with a range slider (default: the params, else the first 3 latent dims)."
    )


class ClustersOptions(ViewOptions):
    """Clustering of the latent vectors; cluster labels become a column that colours every view."""

    method: Literal["kmeans", "gmm", "agglomerative", "dbscan", "hdbscan"] = Field(
        "kmeans", description="Clustering method chosen when the panel opens."
    )
    on: Literal["latent", "standardised"] = Field(
        "latent", description="Cluster the latent vectors as they are, or standardised per dim."
    )
    k: int = Field(8, ge=1, le=100, description="Number of clusters (k-means, GMM, agglomerative).")
    eps: float | None = Field(
        None, gt=0, description="DBSCAN radius (default: estimated from neighbour distances)."
    )
    min_samples: int | None = Field(
        None, ge=1, description="DBSCAN / HDBSCAN core-point neighbours (default 10 / as size)."
    )
    min_cluster_size: int = Field(15, ge=2, description="HDBSCAN smallest cluster.")
    linkage: Literal["ward", "average", "complete"] = Field(
        "ward", description="Agglomerative linkage."
    )
    covariance: Literal["full", "tied", "diag", "spherical"] = Field(
        "full", description="Gaussian mixture covariance type."
    )
    seed: int = Field(0, ge=0, description="Random seed (k-means, GMM).")
    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of the clusters' one-channel mean images."
    )


class CorrelationOptions(ViewOptions):
    """Latent dims against the parameters and numeric metadata (NDDAV's FuncDistance)."""

    measure: Literal["pearson", "spearman", "mi"] = Field(
        "pearson", description="Pearson, Spearman rank correlation or mutual information."
    )
    over: Literal["all", "selection"] = Field(
        "all", description="Compute over all samples or over the current selection."
    )
    targets: list[str] | None = numeric_option(
        "Numeric columns compared with the latent dims (default: every parameter and numeric"
        " metadata column)."
    )


class TopologyOptions(ViewOptions):
    """The extremum graph ("topological spine") of a function over the latent k-NN graph."""

    function: str | None = numeric_option(
        "Numeric column whose maxima (or minima) and their basins are drawn (default: the first"
        " parameter, else the first numeric metadata column, else the first latent dim)."
    )
    second: str | None = numeric_option(
        "A second numeric column whose spine is drawn beside the first, over the same graph"
        " (NDDAV's multi-spine; default: none)."
    )
    k: int = Field(10, ge=2, le=50, description="Neighbours per sample in the k-NN graph.")
    pruning: Literal["none", "rng", "gabriel"] = Field(
        "none", description="Thin the k-NN graph: none, relaxed relative-neighbourhood or Gabriel."
    )
    descending: bool = Field(False, description="Minima and descending basins, not maxima.")
    persistence: float = Field(
        0.05, ge=0, le=1, description="Simplification: merge extrema whose persistence is below"
        " this fraction of the function's range."
    )


class PeakshapeOptions(ViewOptions):
    """A function against one latent dim, in a slab around the line through the focus sample."""

    function: str | None = numeric_option(
        "Numeric column plotted on the y axis (default: the first parameter, else the first"
        " numeric metadata column, else the second latent dim)."
    )
    dim: str | None = latent_option(
        "Latent dim on the x axis: the line runs along it (default: the first latent dim)."
    )
    width: float = Field(
        0.1, gt=0, le=1, description="Slab width: the fraction of samples kept, nearest to the"
        " line first."
    )
    standardise: bool = Field(
        True, description="Measure the distance to the line on dims scaled to unit variance."
    )


class ProjectionOptions(ViewOptions):
    """A linear 2-D projection of the latent vectors that rotates smoothly to a new target."""

    x: str | None = latent_option("Latent dim on the x axis at start (default: the first).")
    y: str | None = latent_option("Latent dim on the y axis at start (default: the second).")
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )
    duration: int = Field(
        1000, ge=0, le=10_000, description="Length of the rotation to a new target, in ms."
    )
    max_points: int = Field(
        20_000, ge=100, le=200_000,
        description="Most points drawn (a fixed random sample of the visible samples above it).",
    )  # fmt: skip


class ViewgraphOptions(ViewOptions):
    """Thumbnails of the best pairs of latent dims, laid out by similarity; click to rotate."""

    top: int = Field(12, ge=1, le=60, description="Number of views (dim pairs) shown.")
    separate_by: str | None = column_option(
        "Categorical column: rank views by how well they separate its classes (silhouette)"
        " instead of by neighbourhood preservation (default: none)."
    )


class DecodedImageOptions(ViewOptions):
    """How the views of decoded images (traversal, interpolation) draw them."""

    cmap: Literal["gray", "viridis", "magma", "inferno", "cividis", "RdBu"] = Field(
        "gray", description="Colour map of one-channel images."
    )
    channel: str | None = Field(
        None, description='Channel shown: "rgb" or a channel number (default: the first choice).'
    )
    size: int = Field(64, ge=24, le=256, description="Width in pixels of each image.")

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class TraversalOptions(DecodedImageOptions):
    """Decoded images along each latent dim through the focus sample (needs dataset.decoder)."""

    dims: list[str] | None = latent_option(
        "Latent dims varied, one row each (default: every latent dim, at most 32)."
    )
    steps: int = Field(7, ge=3, le=15, description="Decoded images per row.")
    percentile: float = Field(
        1.0, ge=0, lt=50, description="Each dim runs from this percentile to 100 minus it."
    )


class InterpolationOptions(DecodedImageOptions):
    """Decoded images on the straight line between two samples' latents (needs a decoder)."""

    steps: int = Field(8, ge=2, le=32, description="Decoded images from A to B, both included.")
    a: int | None = Field(None, ge=0, description="Sample A (default: sample 0).")
    b: int | None = Field(None, ge=0, description="Sample B (default: sample 1).")
    follow_focus: bool = Field(
        True, description="A focus change moves B to A and makes the focus B."
    )


class EmbeddingOptions(ViewOptions):
    """A 2-D embedding of the latent vectors (PCA, t-SNE, UMAP, Isomap, MDS), linked views."""

    method: Literal["pca", "tsne", "umap", "isomap", "mds"] = Field(
        "pca",
        description="Method shown when the panel opens; PCA is computed at once, the others only"
        " if already cached (`latent-dash precompute CONFIG`), else on Run.",
    )
    n_neighbors: int = Field(15, ge=2, le=200, description="UMAP and Isomap neighbours.")
    perplexity: float = Field(30.0, gt=0, le=500, description="t-SNE perplexity.")
    min_dist: float = Field(0.1, ge=0, le=1, description="UMAP minimum distance.")
    metric: Literal["euclidean", "cosine"] = Field(
        "euclidean", description="Distance between latent vectors (t-SNE, UMAP, Isomap, MDS)."
    )
    seed: int = Field(0, ge=0, description="Random seed (t-SNE, UMAP).")
    on: Literal["all", "selection"] = Field(
        "all", description="Embed all samples, or only the current selection (on Run)."
    )
    color: str | None = column_option(
        "Column that colours the points (default: the first metadata column, if any)."
    )


# canonical kind -> (human label, NDDAV and other aliases, options model)
KINDS: dict[str, tuple[str, tuple[str, ...], type[ViewOptions]]] = {
    "parcoords": ("Parallel coordinates", ("Parallel Coordinate", "parallel"), ParcoordsOptions),
    "scatter": ("Scatter plot", ("Scatter Plot", "scatterplot"), ScatterOptions),
    "splom": ("Scatterplot matrix", ("Scatterplot Matrix", "scatter matrix"), SplomOptions),
    "images": ("Images", ("Image", "gallery"), ImagesOptions),
    "table": ("Table", ("Table",), ViewOptions),
    "embedding": ("Embedding", ("DimReduction", "Dimension Reduction"), EmbeddingOptions),
    "clusters": ("Clusters", ("Clustering",), ClustersOptions),
    "neighbors": (
        "Neighbours",
        ("Neighborhood", "neighbours", "Neighbourhood"),
        NeighborsOptions,
    ),
    "filters": ("Filters", ("Filtering", "filter"), FiltersOptions),
    "correlation": ("Correlation", ("FuncDistance",), CorrelationOptions),
    "topology": (
        "Topological spine",
        ("Topological Spine", "Topological Multi-Spine"),
        TopologyOptions,
    ),
    "projection": ("Dynamic projection", ("DynamicProjection",), ProjectionOptions),
    "viewgraph": ("View graph", ("ViewGraph", "OptimalAxisAlign"), ViewgraphOptions),
    "peakshape": ("Peak shape", ("PeakShape",), PeakshapeOptions),
    "traversal": (
        "Latent traversal",
        ("Latent Traversal", "traverse", "LatentTraversal"),
        TraversalOptions,
    ),
    "interpolation": (
        "Interpolation",
        ("Latent Interpolation", "interpolate", "LatentInterpolation"),
        InterpolationOptions,
    ),
}


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


_LOOKUP: dict[str, str] = {}
for _kind, (_label, _aliases, _model) in KINDS.items():
    for _name in (_kind, _label, *_aliases):
        _LOOKUP[_norm(_name)] = _kind


def canonical_kind(name: str) -> str | None:
    """The canonical kind for a name or alias ("Scatter Plot" -> "scatter"), or None."""
    return _LOOKUP.get(_norm(name))


def kind_label(kind: str) -> str:
    return KINDS[kind][0]


def options_model(kind: str) -> type[ViewOptions]:
    return KINDS[kind][2]


def column_fields(model: type[BaseModel]) -> dict[str, str]:
    """The option fields that must name a dataset column: {name: "any", NUMERIC or LATENT}."""
    return {
        name: "any" if f.json_schema_extra[COLUMN_REF] is True else f.json_schema_extra[COLUMN_REF]
        for name, f in model.model_fields.items()
        if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get(COLUMN_REF)
    }
