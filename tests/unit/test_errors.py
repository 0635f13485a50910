"""Every error class names an error shape of the model, so its status comes from the model."""

from __future__ import annotations

from connectlocal import errors
from connectlocal.protocol.serializer import ResponseSerializer
from connectlocal.spec import service_model


def test_error_classes_are_modelled() -> None:
    model = service_model()
    shapes = {n for n in model.shape_names if model.shape_for(n).metadata.get("exception")}
    classes = errors.modelled_classes()
    assert len(classes) >= 14
    for cls in classes:
        assert cls.code == cls.__name__ and cls.code in shapes, cls


def test_statuses_come_from_the_model() -> None:
    serializer = ResponseSerializer(service_model())
    assert serializer.status_of("ResourceNotFoundException") == 404
    assert serializer.status_of("ContactNotFoundException") == 410
    assert serializer.status_of("ServiceQuotaExceededException") == 402
    assert serializer.status_of("UnknownOperationException") == 404
    response = serializer.serialize_error(errors.InvalidRequestException("bad"), "r-1")
    assert response.status == 400
    assert ("x-amzn-errortype", "InvalidRequestException") in response.headers
    assert response.body == b'{"Message":"bad"}'
