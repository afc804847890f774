"""Colours shared by all views, so a category has the same colour in every panel."""

import plotly.colors

CATEGORY_COLORS: list[str] = plotly.colors.qualitative.D3 + plotly.colors.qualitative.Pastel
NUMERIC_SCALE = "Viridis"
OTHER_COLOR = "#9e9e9e"  # the values of a category column beyond its legend's most frequent
UNSELECTED_COLOR = "#c8c8c8"
FOCUS_COLOR = "#d62728"  # the ring around the focus sample
