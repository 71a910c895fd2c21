"""Pictures of the held-out test results: the ROC curve and the confusion matrix, as PNG files.

Drawn with matplotlib's object API on the Agg canvas: no pyplot, no global backend, no display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from training.data import MALIGNANT, Labels
from training.evaluate import ClassificationMetrics
from training.fit import Probabilities

ROC_FILE_NAME = "roc_curve.png"
CONFUSION_FILE_NAME = "confusion_matrix.png"
_SIZE_INCHES = (4.8, 4.2)
_DPI = 100
# No timestamp or software version in the file: the same model draws the same bytes.
_PNG_METADATA: dict[str, str | None] = {"Software": None}


def plot_roc_curve(
    labels: Labels, probabilities: Probabilities, metrics: ClassificationMetrics, path: Path
) -> Path:
    """The test ROC curve with its AUC, and the point the shipped threshold operates at."""
    false_positive_rate, true_positive_rate, _ = roc_curve(
        labels, probabilities, pos_label=MALIGNANT
    )
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(false_positive_rate, true_positive_rate, label=f"model (AUC {metrics.roc_auc:.4f})")
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
    operating_fpr = _ratio(metrics.false_positives, metrics.benign_rows)
    axes.plot(
        [operating_fpr],
        [metrics.malignant_recall],
        marker="o",
        color="black",
        linestyle="none",
        label="chosen threshold",
    )
    axes.set_xlabel("false positive rate (benign flagged malignant)")
    axes.set_ylabel("malignant recall")
    axes.set_title(f"ROC curve, {metrics.rows} held-out test rows")
    axes.set_xlim(-0.01, 1.0)
    axes.set_ylim(0.0, 1.01)
    axes.legend(loc="lower right")
    return _save(figure, path)


def plot_confusion_matrix(metrics: ClassificationMetrics, path: Path) -> Path:
    """Counts of the test rows by actual and predicted class at the shipped threshold."""
    counts = np.array(
        [
            [metrics.true_negatives, metrics.false_positives],
            [metrics.false_negatives, metrics.true_positives],
        ]
    )
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.imshow(counts, cmap="Blues")
    names = ["benign", "malignant"]
    axes.set_xticks([0, 1], labels=[f"predicted {name}" for name in names])
    axes.set_yticks([0, 1], labels=[f"actual {name}" for name in names])
    brightest = counts.max()
    for (row, column), count in np.ndenumerate(counts):
        colour = "white" if count > brightest / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=16)
    axes.set_title(f"Confusion matrix, {metrics.rows} held-out test rows")
    return _save(figure, path)


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata=_PNG_METADATA)
    return path


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0
