"""Plumbing shared by every layer of probax: checks, keys, shapes and dtypes."""
