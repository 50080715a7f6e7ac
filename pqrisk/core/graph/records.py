"""Plain records the graph is built from: what the database (or a file, or a benchmark's
generator) knows, without Django. Ids are the source's own, as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .model import EnterpriseRole


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    """A node of the product catalogue (family → class → product)."""

    code: str
    name: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class HazardRecord:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DistrictRecord:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class EnterpriseRecord:
    """An enterprise of the register, with the categories it is registered for."""

    id: str
    name: str
    district: str | None = None
    role: EnterpriseRole = EnterpriseRole.UNKNOWN
    uscc: str = ""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A concrete product (brand + model) of an enterprise."""

    id: str
    name: str
    category: str | None = None
    enterprise: str | None = None
    brand: str = ""
    model: str = ""


@dataclass(frozen=True, slots=True)
class RiskItemRecord:
    """A screened piece of risk information (风险信息) and what it names.

    ``enterprise`` is a register id; ``enterprise_name`` an enterprise named but not matched.
    ``product`` is a product id; without it, ``brand`` and ``model`` still name a product.
    ``failed_standards`` are the standards a spot check found the product not to meet;
    ``platform`` the e-commerce platform it was sold on; ``supplier`` a supplier named.
    """

    id: str
    title: str
    source_kind: str
    when: date | None = None
    status: str = ""
    district: str | None = None
    category: str | None = None
    hazard: str | None = None
    enterprise: str | None = None
    enterprise_name: str = ""
    enterprise_role: EnterpriseRole = EnterpriseRole.UNKNOWN
    product: str | None = None
    brand: str = ""
    model: str = ""
    event: str | None = None
    level: str = ""
    severity: int | None = None
    failed_standards: tuple[str, ...] = ()
    platform: str = ""
    supplier: str = ""


@dataclass(frozen=True, slots=True)
class SampleRecord:
    """A lab sample (样品) bought by a sampling task, with the standards it failed.

    The manufacturer is what the label names (标称生产者) or the task's enterprise; the
    seller is the shop it was bought from, on ``platform`` when bought online.
    """

    id: str
    code: str
    name: str
    when: date | None = None
    district: str | None = None
    category: str | None = None
    manufacturer: str | None = None  # register id
    manufacturer_name: str = ""
    seller: str | None = None  # register id
    seller_name: str = ""
    platform: str = ""
    brand: str = ""
    model: str = ""
    failed_standards: tuple[str, ...] = ()
    task_code: str = ""


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    title: str
    category: str
    hazard: str
    when: date | None = None
    district: str | None = None
    enterprise: str | None = None
    brands: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WarningRecord:
    """A warning (风险预警) and the risk information it rests on."""

    id: str
    title: str
    level: str
    status: str = ""
    when: date | None = None
    district: str | None = None
    category: str | None = None
    hazard: str | None = None
    risk_items: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """An assessment case (评估任务) and what it is about."""

    id: str
    code: str
    title: str
    status: str = ""
    when: date | None = None
    district: str | None = None
    category: str | None = None
    hazard: str | None = None
    enterprise: str | None = None
    event: str | None = None
    risk_items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SupplyRecord:
    """``supplier`` supplies ``customer`` (register ids or names), on the word of ``source``."""

    supplier: str
    customer: str
    source_kind: str
    source_id: str = ""
    district: str | None = None
    supplier_is_name: bool = False
    customer_is_name: bool = False


@dataclass
class GraphRecords:
    """Everything the graph is built from."""

    categories: list[CategoryRecord] = field(default_factory=list)
    hazards: list[HazardRecord] = field(default_factory=list)
    districts: list[DistrictRecord] = field(default_factory=list)
    enterprises: list[EnterpriseRecord] = field(default_factory=list)
    products: list[ProductRecord] = field(default_factory=list)
    risk_items: list[RiskItemRecord] = field(default_factory=list)
    samples: list[SampleRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    warnings: list[WarningRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    supplies: list[SupplyRecord] = field(default_factory=list)
