"""The OpenAPI 3.1 document of the API, generated from chalicelib's own constants.

Dev-only: the Lambda ships the generated `chalicelib/openapi.json`, never this package.
`python -m apispec` rewrites that file; a test fails when the committed file differs.
"""
