"""Measurement tools behind `make eval` and `make bench`; neither server ever loads them."""
