"""Deployment: the SageMaker endpoint that hosts a registered model (``endpoint``), and what the
API in front of it needs (``stages``, ``policy``, ``merge_template``, ``monitoring``,
``package_check``); ``cli`` is ``python -m deploy``.

Not shipped: `chalice package` zips only `app.py` and `chalicelib/`.
"""
