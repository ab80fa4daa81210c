"""A protocol's content as plain JSON, frozen into ProtocolVersion rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mesocare.catalog.protocol_models import Protocol

SNAPSHOT_FIELDS = (
    "code", "name", "technique", "depth_mm_min", "depth_mm_max", "volume_per_point_ml_min",
    "volume_per_point_ml_max", "volume_per_session_ml_min", "volume_per_session_ml_max", "scale",
    "sessions_by_band", "interval_min_days", "interval_target_days", "interval_max_days",
    "interval_min_months", "max_baseline_total", "response_check_session",
    "responder_min_improvement", "target_band",
    "maintenance_interval_days", "session_duration_min", "room_kind", "evidence_level", "notes",
    "citations",
)  # fmt: skip


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def snapshot_protocol(protocol: Protocol) -> dict[str, Any]:
    data = {field: _plain(getattr(protocol, field)) for field in SNAPSHOT_FIELDS}
    data["version"] = protocol.version
    data["indication"] = protocol.indication.code
    data["pre_care"] = protocol.pre_care.code if protocol.pre_care else None
    data["aftercare"] = protocol.aftercare.code if protocol.aftercare else None
    data["products"] = [
        {"product": link.product_id, "code": link.product.code, "role": link.role}
        for link in protocol.product_links.select_related("product")
    ]
    return data
