"""Asserting an AWS error as a user of boto3 sees it: code, HTTP status and message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def expect_error(call: Callable[..., Any], code: str, status: int, message: str,
                 **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    assert message in response["Error"]["Message"], response["Error"]["Message"]
    assert response["ResponseMetadata"]["RequestId"], response
    return response
