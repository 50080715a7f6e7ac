"""Screening links a record to its enterprise's product by the product's unique key
(enterprise, name, brand, model), looked up in one query per block of keys."""

from __future__ import annotations

import pytest

from pqrisk.enterprises.models import Product
from pqrisk.screening import services
from pqrisk.web.tests.factories import enterprise

pytestmark = pytest.mark.django_db


def test_each_key_finds_its_own_product_and_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    firm, other = enterprise("310115"), enterprise("310115")
    kettle = Product.objects.create(enterprise=firm, name="电热水壶", brand="美的", model="")
    plain = Product.objects.create(enterprise=firm, name="电热水壶", brand="", model="")
    quoted = Product.objects.create(enterprise=firm, name="O'Brien's 壶", brand="", model="K-1")
    Product.objects.create(enterprise=other, name="电热水壶", brand="美的", model="")
    wanted = [
        (firm.pk, "电热水壶", "美的", ""),
        (firm.pk, "电热水壶", "", ""),
        (firm.pk, "O'Brien's 壶", "", "K-1"),
        (firm.pk, "电热水壶", "美的", "X9"),  # not registered
    ]
    monkeypatch.setattr(services, "PRODUCT_LOOKUP", 3)  # two blocks
    assert services.product_ids(wanted) == {
        wanted[0]: kettle.pk,
        wanted[1]: plain.pk,
        wanted[2]: quoted.pk,
    }
    assert services.product_ids([]) == {}
