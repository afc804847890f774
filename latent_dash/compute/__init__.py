"""Pure computations on arrays: projections, clustering, neighbours, metrics.

Functions take numpy arrays and options and return arrays, deterministic for a given seed; they
never import dash or plotly, so they are unit-tested, cached (compute.cache) and can run in a
background worker.
"""
