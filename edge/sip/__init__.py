"""Thin pjsua2 subclasses that turn library callbacks into plain Python calls."""
