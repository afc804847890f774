"""The page around the views: header, config menu, layout grid, shared stores and messages."""
