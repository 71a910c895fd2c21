"""What the CLI prints: short tables of counts and summaries, never a row of data."""

from __future__ import annotations

from collections.abc import Mapping

from training.evaluate import ClassificationMetrics
from training.outcome import TrainingOutcome

_LABELS = {
    "accuracy": "accuracy",
    "roc_auc": "ROC AUC",
    "malignant_recall": "malignant recall",
    "malignant_precision": "malignant precision",
}


def format_metrics(metrics: ClassificationMetrics, heading: str) -> list[str]:
    return [
        heading,
        f"  accuracy             {metrics.accuracy:.4f}",
        f"  malignant recall     {metrics.malignant_recall:.4f}",
        f"  malignant precision  {metrics.malignant_precision:.4f}",
        f"  ROC AUC              {metrics.roc_auc:.4f}",
        "",
        "confusion matrix (malignant = positive)",
        "                    predicted benign  predicted malignant",
        f"  actual benign     {metrics.true_negatives:>16}  {metrics.false_positives:>19}",
        f"  actual malignant  {metrics.false_negatives:>16}  {metrics.true_positives:>19}",
    ]


def format_rates(rates: Mapping[str, float], heading: str) -> list[str]:
    if not rates:
        return [heading, "  (the training job reported no test metrics)"]
    return [
        heading,
        *(f"  {_LABELS.get(name, name):<21}{value:.4f}" for name, value in rates.items()),
    ]


def format_report(outcome: TrainingOutcome) -> str:
    sizes = outcome.split_sizes
    settings = "  ".join(f"{name} {value:.6g}" for name, value in outcome.chosen_settings.items())
    heading = f"test ({sizes.get('test', '?')} held-out rows)"
    lines = [
        f"model      {outcome.model_name}  version {outcome.model_version}",
        f"split      {sizes['train']} train / {sizes['validation']} validation / "
        f"{sizes['test']} test rows, seed {outcome.seed}",
        f"threshold  {outcome.threshold_rule}",
    ]
    if settings:
        lines.append(f"chosen     {settings}")
    lines.append("")
    if outcome.test_metrics is not None:
        lines += format_metrics(outcome.test_metrics, heading)
    else:
        lines += format_rates(outcome.reported_metrics, heading + ", as the training job reports")
    if outcome.cross_validation:
        lines += ["", "10-fold cross-validation on train + validation (mean ± std)"]
        lines += [
            f"  {_LABELS.get(name, name):<21}{spread.mean:.4f} ± {spread.std:.4f}"
            for name, spread in outcome.cross_validation.items()
        ]
    lines += ["", *(f"wrote {path}" for path in outcome.written_files)]
    return "\n".join(lines)
