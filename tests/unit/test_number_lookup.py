"""handlers.numbers.flow_for_number: the flow a call to an E.164 address runs in an instance."""

from __future__ import annotations

from connectlocal.handlers.numbers import flow_for_number, number_for
from connectlocal.models import PhoneNumber
from connectlocal.store import open_store
from connectlocal.store.base import Scope

HERE = Scope("123456789012", "us-east-1")


def _number(number_id: str, e164: str, flow: str | None = None) -> PhoneNumber:
    return PhoneNumber(id=number_id, arn=f"arn:{number_id}", number=e164, country_code="US",
                       type="DID", target_arn="arn:i-1", instance_id="i-1",
                       contact_flow_id=flow)


def test_a_numbers_flow_is_found_by_its_address_in_its_instance() -> None:
    store = open_store(":memory:")
    try:
        with store.write(HERE) as tx:
            tx.put_resource("i-1", _number("n-1", "+12065550100", "f-1"))
            tx.put_resource("i-1", _number("n-2", "+12065550101"))
        with store.read(HERE) as tx:
            assert flow_for_number(tx, "i-1", "+12065550100") == "f-1"
            found = number_for(tx, "i-1", "+12065550100")
            assert found is not None and found.id == "n-1"
            assert flow_for_number(tx, "i-1", "+12065550101") is None  # no flow yet
            assert flow_for_number(tx, "i-1", "+12065550102") is None  # not claimed
            assert flow_for_number(tx, "i-2", "+12065550100") is None  # another instance
        with store.read(Scope("123456789012", "eu-west-2")) as tx:
            assert flow_for_number(tx, "i-1", "+12065550100") is None  # another region
    finally:
        store.close()
