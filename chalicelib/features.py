"""The 30 WDBC features, in the order the data set, the model and the API use them.

Everything else (validation messages, the model artifact, the stand-in, the spec) derives from
this tuple; no other module spells a feature name.
"""

from __future__ import annotations

MEASUREMENTS: tuple[str, ...] = (
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave_points",
    "symmetry",
    "fractal_dimension",
)

# WDBC lists all ten means, then all ten standard errors, then all ten "worst" values.
STATISTICS: tuple[str, ...] = ("mean", "se", "worst")

FEATURE_NAMES: tuple[str, ...] = tuple(
    f"{measurement}_{statistic}" for statistic in STATISTICS for measurement in MEASUREMENTS
)

FEATURE_COUNT = len(FEATURE_NAMES)
