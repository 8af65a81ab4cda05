"""The control plane API (a Chalice app). A package only so that the repo root can run
`python -m control.chalicelib.token_cli`; in the Lambda, `app.py` and `chalicelib/` sit at the
top of the bundle and `chalicelib` is imported as a top-level package."""
