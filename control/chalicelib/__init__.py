"""The control API's code (Chalice bundles this package next to app.py)."""
