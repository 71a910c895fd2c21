"""Deployment tooling: the per-stage merge template, the IAM policies and the package checks.

Not shipped: `chalice package` zips only `app.py` and `chalicelib/`.
"""
