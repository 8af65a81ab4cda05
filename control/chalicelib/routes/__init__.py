"""One blueprint per resource; app.py registers them."""
