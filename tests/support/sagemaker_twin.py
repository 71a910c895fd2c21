"""moto as the SageMaker twin, plus the two things moto 5.2.5 lacks for this flow.

- ``UpdateEndpoint`` is not implemented (moto raises NotImplementedError "The update_endpoint
  action has not been implemented"); ``_update_endpoint`` does what SageMaker has done once an
  update finishes: the endpoint runs the new config's variants, InService.
- ``DeleteModelPackage`` and ``DeleteModelPackageGroup`` are not implemented either;
  ``add_registry_deletes`` removes them from moto's registry as SageMaker does.
- Training jobs complete at once with only ``train:progress`` in FinalMetricDataList;
  ``emit_final_metrics`` makes each new job carry what Linear Learner reports at its end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeTrainingJob
from moto.sagemaker.responses import SageMakerResponse


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f"Could not find endpoint '{name}'.")
    config = backend.describe_endpoint_config(self._get_param("EndpointConfigName"))
    endpoint.endpoint_config_name = config["EndpointConfigName"]
    endpoint.production_variants = endpoint._process_production_variants(
        config["ProductionVariants"]
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def add_update_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SageMakerResponse, "update_endpoint", _update_endpoint, raising=False)


def _delete_model_package(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    name = self._get_param("ModelPackageName")
    arn = backend.model_package_name_mapping.get(name, name)
    if backend.model_packages.pop(arn, None) is None:
        raise ValidationError(message=f"Model package {name} not found")
    return ActionResult({})


def _delete_model_package_group(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    name = self._get_param("ModelPackageGroupName")
    if any(p.model_package_group_name == name for p in backend.model_packages.values()):
        raise ValidationError(message=f"Model package group {name} still holds versions")
    backend.model_package_groups.pop(name)
    return ActionResult({})


def add_registry_deletes(monkeypatch: pytest.MonkeyPatch) -> None:
    for action, implementation in [
        ("delete_model_package", _delete_model_package),
        ("delete_model_package_group", _delete_model_package_group),
    ]:
        monkeypatch.setattr(SageMakerResponse, action, implementation, raising=False)


def emit_final_metrics(monkeypatch: pytest.MonkeyPatch, metrics: Mapping[str, float]) -> None:
    original_init = FakeTrainingJob.__init__

    def init(self: FakeTrainingJob, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.final_metric_data_list = [
            {"MetricName": name, "Value": value} for name, value in metrics.items()
        ]

    monkeypatch.setattr(FakeTrainingJob, "__init__", init)


def _rolled_back_update(self: SageMakerResponse) -> ActionResult:
    """A failed update: SageMaker rolls the endpoint back to its old config, InService."""
    endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
    endpoint.failure_reason = "The primary container for production variant failed the ping"  # type: ignore[assignment,unused-ignore]  # moto types it None
    return ActionResult({"EndpointArn": endpoint.arn})


def roll_back_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SageMakerResponse, "update_endpoint", _rolled_back_update, raising=False)


def fail_new_endpoints(monkeypatch: pytest.MonkeyPatch, reason: str) -> None:
    from moto.sagemaker.models import FakeEndpoint

    original_init = FakeEndpoint.__init__

    def init(self: FakeEndpoint, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.endpoint_status = "Failed"
        self.failure_reason = reason  # type: ignore[assignment,unused-ignore]  # moto types it None

    monkeypatch.setattr(FakeEndpoint, "__init__", init)
