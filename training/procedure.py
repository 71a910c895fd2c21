"""The local training procedure, one for every contract: its model, its metrics and its repeated
nested cross-validation, by the contract's task and answer format.

A Linear Learner contract is fitted as standardisation followed by a linear model, what
StandardScaler and LogisticRegression (binary, or multinomial for more classes) or Ridge compute,
so the stand-in serves it with the standard library alone; an XGBoost contract as XGBoost itself.

On the train and validation rows together (the test rows take no part): the model's one
hyperparameter by 5-fold cross-validated log loss (RMSE for a regression); out-of-fold
predictions of that choice on the same five folds, on which a binary classifier's threshold is
chosen by the rule (``training.threshold``); the model refit on all those rows. Repeated nested
cross-validation runs all of it inside each outer fold.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import scipy
import sklearn
from sklearn import metrics as sklearn_metrics
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from chalicelib.contract import BINARY, MULTICLASS, REGRESSION, XGBOOST, Contract
from training.data import POSITIVE, Features, Labels, Split, SplitPart, take
from training.threshold import ThresholdRule

# Linear Learner's predictor_type for each task (the stand-in's artifact and the training job).
PREDICTOR_TYPES = {
    BINARY: "binary_classifier",
    MULTICLASS: "multiclass_classifier",
    REGRESSION: "regressor",
}
# XGBoost's objective for each task (SageMaker's container takes the same names).
OBJECTIVES = {
    BINARY: "binary:logistic",
    MULTICLASS: "multi:softprob",
    REGRESSION: "reg:squarederror",
}
# Ascending, so that among equally good values the cross-validation keeps the smallest C, the
# strongest regularisation: the simpler model when the data cannot tell them apart.
C_GRID: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
# Multinomial: at C = 100 a fold of wine's 114 rows is all but separable, and Newton's line search
# runs out of precision before the optimum (scikit-learn then warns and falls back to lbfgs).
MULTINOMIAL_C_GRID = C_GRID[:-1]
# Descending for the same reason: Ridge's strongest regularisation is its largest alpha.
ALPHA_GRID: tuple[float, ...] = (1000.0, 100.0, 10.0, 1.0, 0.1, 0.01)
# XGBoost's hyperparameters, fixed and declared once: the SageMaker job is given the same (the
# container's names in training.sagemaker), so both targets fit the same model family; the
# cross-validation here gives the out-of-fold predictions and the nested estimate.
XGBOOST_SETTINGS: dict[str, Any] = {
    "n_estimators": 100,
    "max_depth": 3,
    "learning_rate": 0.1,
    "tree_method": "hist",
}
CV_FOLDS = 5
NESTED_REPEATS, NESTED_FOLDS = 10, 5
NESTED_PROCEDURE = (
    "in each outer fold, the hyperparameter by 5-fold CV, the out-of-fold predictions, the "
    "threshold rule (binary only) and the refit, on the other folds alone"
)
# Newton-Cholesky rather than lbfgs: scikit-learn fixes lbfgs's ftol at 64 machine epsilons of
# relative improvement, so on WDBC it stops at a gradient of about 2e-6 whatever its tol, 1e-5
# from the optimum in the weights, where another scipy may stop elsewhere. Newton's steps reach
# the optimum itself (gradient about 4e-12) in under 15 iterations, so refits agree far below
# the tolerance tests/unit/test_local_model.py states. Ridge's Cholesky solve is exact.
SOLVER, TOLERANCE = "newton-cholesky", 1e-12
# One BLAS thread: on two busy cores OpenBLAS's threads fight (a fit took 50 times longer), and a
# fixed thread count keeps the floating-point sums, so the version, reproducible.
BLAS_THREADS = 1


class Procedure(NamedTuple):
    """A contract's model family: the estimator, its one tuned hyperparameter and the fixed
    settings the training record states."""

    name: str  # the model's name after the contract's: "wdbc-logistic-regression"
    estimator: Any
    parameter: str  # the tuned hyperparameter ("" for none), as the record names it
    grid: dict[str, list[float]]  # GridSearchCV's, by the estimator's own key
    scoring: tuple[str, str]  # scikit-learn's scorer, and the record's name for its loss
    settings: dict[str, Any]
    libraries: dict[str, Any]  # what decides the fit, recorded with every model


def procedure_for(contract: Contract, seed: int) -> Procedure:
    libraries = {"scikit-learn": sklearn, "scipy": scipy, "numpy": np}
    scoring = (
        ("neg_root_mean_squared_error", "rmse")
        if contract.task == REGRESSION
        else ("neg_log_loss", "log_loss")
    )
    if contract.answer.format == XGBOOST:
        import xgboost

        family = xgboost.XGBRegressor if contract.task == REGRESSION else xgboost.XGBClassifier
        settings = {"objective": OBJECTIVES[contract.task], **XGBOOST_SETTINGS}
        model = family(**settings, n_jobs=BLAS_THREADS, random_state=seed)
        return Procedure(f"{contract.name}-boosted-trees", model, "", {}, scoring, settings,
                         {"xgboost": xgboost, **libraries})  # fmt: skip
    if contract.task == REGRESSION:
        ridge = Pipeline([("scaler", StandardScaler()), ("regressor", Ridge(solver="cholesky"))])
        return Procedure(f"{contract.name}-ridge-regression", ridge, "alpha",
                         {"regressor__alpha": list(ALPHA_GRID)}, scoring, {"solver": "cholesky"},
                         libraries)  # fmt: skip
    # The scaler sits inside the pipeline so each fold standardises with its own training rows.
    classifier = LogisticRegression(solver=SOLVER, tol=TOLERANCE)
    pipeline = Pipeline([("scaler", StandardScaler()), ("classifier", classifier)])
    grid = MULTINOMIAL_C_GRID if contract.task == MULTICLASS else C_GRID
    return Procedure(f"{contract.name}-logistic-regression", pipeline, "C",
                     {"classifier__C": list(grid)}, scoring,
                     {"solver": SOLVER, "tolerance": TOLERANCE}, libraries)  # fmt: skip


class FittedModel(NamedTuple):
    estimator: Any  # refit on all the rows
    threshold: float | None  # binary only
    out_of_fold: Any  # each row's output from the fold model that did not see it
    losses: dict[float, float]  # the mean cross-validated loss of each grid value (or of "")


def fit_model(rows: SplitPart, contract: Contract, rule: ThresholdRule, seed: int) -> FittedModel:
    """The hyperparameter by 5-fold cross-validation, a binary threshold by ``rule`` on the
    out-of-fold probabilities of that choice on the same folds, and the refit on all ``rows``."""
    procedure = procedure_for(contract, seed)
    splitter = StratifiedKFold if contract.is_classifier else KFold
    folds = splitter(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    search = GridSearchCV(
        procedure.estimator, param_grid=procedure.grid, scoring=procedure.scoring[0], cv=folds
    ).fit(rows.features, rows.labels)
    fitted = search.best_estimator_
    method = "predict_proba" if contract.is_classifier else "predict"
    predicted = cross_val_predict(clone(fitted), rows.features, rows.labels, cv=folds,
                                  method=method)  # fmt: skip
    out_of_fold = model_output(contract, np.asarray(predicted, dtype=np.float64))
    losses = (-np.asarray(search.cv_results_["mean_test_score"], dtype=np.float64)).tolist()
    grid: list[Any] = next(iter(procedure.grid.values()), [""])
    threshold = rule.choose(out_of_fold, rows.labels) if contract.task == BINARY else None
    return FittedModel(fitted, threshold, out_of_fold, dict(zip(grid, losses, strict=True)))


def model_output(contract: Contract, predicted: Any) -> Any:
    """predict_proba's or predict's answer as the metrics take it: a binary classifier's
    probability of its positive class, a multiclass one's K probabilities, a regression's value."""
    return predicted[:, POSITIVE] if contract.task == BINARY else predicted


def predict(fitted: Any, contract: Contract, features: Features) -> Any:
    method = fitted.predict_proba if contract.is_classifier else fitted.predict
    return model_output(contract, np.asarray(method(features), dtype=np.float64))


def decide(contract: Contract, output: Any, threshold: float | None) -> Any:
    """The labels an output gives: the threshold for binary, the most probable class for
    multiclass; a regression's value is its own."""
    if contract.task == BINARY:
        return np.where(output >= threshold, POSITIVE, 1 - POSITIVE)
    return np.argmax(output, axis=1) if contract.task == MULTICLASS else output


def part_metrics(
    contract: Contract, labels: Labels, output: Any, threshold: float | None
) -> dict[str, Any]:
    return scored(contract, labels, decide(contract, output, threshold), output)


def scored(contract: Contract, labels: Labels, predicted: Labels, output: Any) -> dict[str, Any]:
    """One part's metrics, by scikit-learn's metrics; ``output`` as ``model_output`` gives it."""
    if contract.task == REGRESSION:
        return {
            "rmse": float(sklearn_metrics.root_mean_squared_error(labels, predicted)),
            "mae": float(sklearn_metrics.mean_absolute_error(labels, predicted)),
            "r2": float(sklearn_metrics.r2_score(labels, predicted)),
            "rows": len(labels),
        }
    classes = list(range(len(contract.classes)))
    counts = sklearn_metrics.confusion_matrix(labels, predicted, labels=classes)
    accuracy = float(sklearn_metrics.accuracy_score(labels, predicted))
    if contract.task == MULTICLASS:
        return {
            "accuracy": accuracy,
            "macro_f1": float(sklearn_metrics.f1_score(labels, predicted, average="macro")),
            "log_loss": float(sklearn_metrics.log_loss(labels, output, labels=classes)),
            "confusion_matrix": counts.tolist(),
            "rows": len(labels),
        }
    positive, negative = (name for name in class_names(contract))
    # zero_division=0: no predicted positive row gives precision 0.0, not NaN, which JSON lacks.
    by_class: dict[str, Any] = {"pos_label": POSITIVE, "zero_division": 0}
    tn, fp, fn, tp = counts.ravel().tolist()
    return {
        "accuracy": accuracy,
        f"{positive}_recall": float(sklearn_metrics.recall_score(labels, predicted, **by_class)),
        f"{positive}_precision": float(
            sklearn_metrics.precision_score(labels, predicted, **by_class)
        ),
        # For two classes roc_auc_score scores the greater label, POSITIVE, as positive.
        "roc_auc": float(sklearn_metrics.roc_auc_score(labels, output)),
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "rows": tn + fp + fn + tp,
        f"{positive}_rows": tp + fn,
        f"{negative}_rows": tn + fp,
    }


def class_names(contract: Contract) -> list[str]:
    """Binary: the positive class's name, then the other's; else the classes' in order. Spaces
    become underscores: they name metrics."""
    names = [c.name.replace(" ", "_") for c in contract.classes]
    return (
        [names[contract.positive_index], names[1 - contract.positive_index]]
        if (contract.task == BINARY)
        else names
    )


def metric_labels(contract: Contract) -> dict[str, str]:
    """The rates a part's metrics hold for this task, and how a table heads them."""
    if contract.task == REGRESSION:
        return {"rmse": "RMSE", "mae": "MAE", "r2": "R²"}
    if contract.task == MULTICLASS:
        return {"accuracy": "accuracy", "macro_f1": "macro F1", "log_loss": "log loss"}
    positive = class_names(contract)[0]
    return {
        "accuracy": "accuracy",
        f"{positive}_recall": f"{positive} recall",
        f"{positive}_precision": f"{positive} precision",
        "roc_auc": "ROC AUC",
    }


def misses_key(contract: Contract, positives: int) -> str:
    """A binary classifier's misses as a count: the missed share of its data's positive rows."""
    return f"misses_per_{positives}_{class_names(contract)[0]}"


def repeated_nested_cv(
    split: Split,
    contract: Contract,
    rule: ThresholdRule,
    repeats: int = NESTED_REPEATS,
    folds: int = NESTED_FOLDS,
) -> dict[str, Any]:
    """Repeated (stratified, for a classifier) nested cross-validation of the whole procedure on
    the train and validation rows, each outer fold scored at the threshold its own procedure
    chose: each metric's mean and sample standard deviation over the repeats x folds; for a
    binary classifier also the misses per positive rows of the data set and the thresholds.
    The test rows take no part, so rules can be compared here without ever looking at them."""
    development = split.development()
    outer_type = RepeatedStratifiedKFold if contract.is_classifier else RepeatedKFold
    outer = outer_type(n_splits=folds, n_repeats=repeats, random_state=split.seed)
    binary = contract.task == BINARY
    positives = sum(int(np.count_nonzero(part.labels == POSITIVE)) for part in split.parts.values())
    scored_folds = []
    with threadpool_limits(limits=BLAS_THREADS):
        for fit_positions, held_positions in outer.split(development.features, development.labels):
            fitted = fit_model(take(development, fit_positions), contract, rule, split.seed)
            held = take(development, held_positions)
            output = predict(fitted.estimator, contract, held.features)
            metrics = part_metrics(contract, held.labels, output, fitted.threshold)
            fold = {name: metrics[name] for name in metric_labels(contract)}
            if binary:
                counts = metrics["confusion_matrix"]
                missed = counts["fn"] / (counts["fn"] + counts["tp"])
                fold |= {misses_key(contract, positives): missed * positives,
                         "threshold": fitted.threshold}  # fmt: skip
            scored_folds.append(fold)
    spreads = {}
    for name in scored_folds[0]:
        values = np.array([fold[name] for fold in scored_folds], dtype=np.float64)
        spreads[name] = {"mean": float(values.mean()), "std": float(values.std(ddof=1))}
    rule_record = {"threshold_rule": rule.to_json()} if binary else {}
    return {
        "repeats": repeats,
        "folds": folds,
        "rows": len(development.labels),
        "seed": split.seed,
        "procedure": NESTED_PROCEDURE,
        **rule_record,
        **spreads,
    }
