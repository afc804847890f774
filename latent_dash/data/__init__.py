"""Reading and validating user data. Never imports dash; never writes a user's file."""

from latent_dash.data.dataset import Column, Dataset, load_dataset, with_data_problems
from latent_dash.data.registry import open_compare, open_config, parsed

__all__ = [
    "Column",
    "Dataset",
    "load_dataset",
    "open_compare",
    "open_config",
    "parsed",
    "with_data_problems",
]
