"""The chain's skeleton, built with the ORM (a few thousand rows): organizations, locations
with opening hours, rooms, staff (an owner per organization; practitioners and a receptionist
per location) with working hours, the price list (a session per protocol, a consultation) and
product lots (one per product, location and month), each received by a stock movement."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from mesocare.accounts.models import User
from mesocare.billing.models import PriceItem, PriceVersion
from mesocare.catalog.models import Protocol, ProtocolProduct, ProtocolVersion, Zone
from mesocare.clinics.models import (
    Location,
    Membership,
    OpeningHours,
    Organization,
    Room,
    WorkingHours,
)
from mesocare.inventory.models import ProductLot, StockMovement

SLOT_MIN = 30
MORNING = list(range(9 * 60, 13 * 60, SLOT_MIN))
AFTERNOON = list(range(14 * 60, 19 * 60, SLOT_MIN))
# Slot starts per weekday (Monday = 0): weekdays 9–13 and 14–19, Saturday mornings.
WEEK: list[list[int]] = [MORNING + AFTERNOON] * 5 + [MORNING, []]
OPENING = [(d, dt.time(9), dt.time(19)) for d in range(5)] + [(5, dt.time(9), dt.time(13))]
WORKING = [
    (d, a, b) for d in range(5) for a, b in ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(19)))
] + [(5, dt.time(9), dt.time(13))]
CITIES = [
    ("Milano", "Europe/Rome"), ("Roma", "Europe/Rome"), ("Torino", "Europe/Rome"),
    ("Bologna", "Europe/Rome"), ("Firenze", "Europe/Rome"), ("Napoli", "Europe/Rome"),
    ("Madrid", "Europe/Madrid"), ("Barcelona", "Europe/Madrid"), ("Lyon", "Europe/Paris"),
    ("Paris", "Europe/Paris"), ("München", "Europe/Berlin"), ("Zürich", "Europe/Zurich"),
    ("Wien", "Europe/Vienna"), ("London", "Europe/London"), ("Lisboa", "Europe/Lisbon"),
    ("New York", "America/New_York"), ("Boston", "America/New_York"),
    ("Genova", "Europe/Rome"), ("Verona", "Europe/Rome"), ("Palermo", "Europe/Rome"),
]  # fmt: skip
ROOM_KINDS = ["facial", "body", "general"]
PASSWORD = "chain-password"  # noqa: S105 - synthetic staff of a load-test chain


@dataclass
class Lane:
    membership_id: int
    user_id: int
    email: str
    room_id: int


@dataclass
class Loc:
    id: int
    org_id: int
    org_name: str
    name: str
    tz: str
    address: str
    phone: str
    reception_user_id: int
    reception_email: str
    lanes: list[Lane] = field(default_factory=list)
    # (product id, month index) → lot id
    lots: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass
class Proto:
    id: int
    version_id: int
    code: str
    name: str
    technique: str
    room_kind: str
    sessions: int
    interval: tuple[int, int, int]
    response_check: int
    maintenance_days: int | None
    products: list[int]
    zones: list[str]
    # (depth, points, volume per point, total volume) as text, session volume in range
    injections: list[tuple[str, int, str, str]]


@dataclass
class Skeleton:
    locations: list[Loc]
    protocols: list[Proto]
    org_ids: list[int]
    users: int
    password: str


def _zones_for(code: str, room_kind: str, zones: dict[str, list[str]]) -> list[str]:
    if code.startswith("hair"):
        return zones["scalp"]
    if code.startswith("pain"):
        return zones["body"][-6:] + zones["limb"][-4:]
    if code.startswith(("rejuvenation_neck", "rejuvenation_decollete")):
        return zones["neck"] + zones["body"][:1]
    if code.startswith(("rejuvenation_hands", "rejuvenation_arms")):
        return zones["limb"][:4]
    if room_kind == "facial":
        return zones["face"]
    return zones["body"] + zones["limb"]


def _injections(p: Protocol) -> list[tuple[str, int, str, str]]:
    """Eight ways to chart one injection of this protocol: points × volume per point equals
    the total, and five of them make a session volume inside the protocol's range."""
    depth = ((p.depth_mm_min + p.depth_mm_max) / 2).quantize(Decimal("0.1"))
    vpp = p.volume_per_point_ml_min.quantize(Decimal("0.001"))
    out = []
    for k in range(8):
        target = p.volume_per_session_ml_min * (Decimal(1) + Decimal(k) / 16) / 5
        points = max(1, int((target / vpp).to_integral_value()) + 1)
        total = (vpp * points).quantize(Decimal("0.001"))
        out.append((str(depth), points, str(vpp), str(total)))
    return out


def load_protocols() -> list[Proto]:
    """The curated protocols whose sessions take one 30-minute slot."""
    zones: dict[str, list[str]] = {}
    for code, region in Zone.objects.order_by("code").values_list("code", "region"):
        zones.setdefault(region, []).append(code)
    out = []
    for p in Protocol.objects.filter(
        organization__isnull=True, is_active=True, session_duration_min=SLOT_MIN
    ).order_by("id"):
        version = ProtocolVersion.objects.filter(protocol=p).order_by("-version").first()
        products = list(
            ProtocolProduct.objects.filter(protocol=p)
            .order_by("id")
            .values_list("product_id", flat=True)
        )
        if version is None or not products or p.interval_min_months:
            continue
        bands = sorted(int(v) for v in (p.sessions_by_band or {}).values()) or [4]
        out.append(
            Proto(
                id=p.pk,
                version_id=version.pk,
                code=p.code,
                name=p.name,
                technique=p.technique,
                room_kind=p.room_kind,
                sessions=max(3, bands[len(bands) // 2]),
                interval=(p.interval_min_days, p.interval_target_days, p.interval_max_days),
                response_check=p.response_check_session,
                maintenance_days=p.maintenance_interval_days,
                products=products,
                zones=_zones_for(p.code, p.room_kind, zones),
                injections=_injections(p),
            )  # fmt: skip
        )
    if not out:
        raise RuntimeError("No curated protocols: run the migrations (they load the catalog).")
    return out


def _split(total: int, parts: int, weights: list[float]) -> list[int]:
    scale = total / sum(weights)
    out = [int(w * scale) for w in weights[:parts]]
    for i in range(total - sum(out)):
        out[i % parts] += 1
    return out


@transaction.atomic
def build_skeleton(
    *,
    organizations: int,
    locations: int,
    visits_per_location: list[int],
    lanes_per_location: list[int],
    months: list[dt.date],
    start: dt.datetime,
    slug_prefix: str,
) -> Skeleton:
    if Organization.objects.filter(slug__startswith=f"{slug_prefix}-").exists():
        raise RuntimeError(
            f"Organizations {slug_prefix}-* exist already: seed a fresh database "
            "(or another --prefix)."
        )
    password = make_password(PASSWORD)
    orgs = Organization.objects.bulk_create(
        Organization(
            name=f"{CITIES[i % len(CITIES)][0]} Mesotherapy Group {i + 1:02d}",
            slug=f"{slug_prefix}-{i + 1:02d}",
        )
        for i in range(organizations)
    )
    users: list[User] = []
    owner_of: dict[int, User] = {}
    for org in orgs:
        owner_of[org.pk] = User(
            email=f"owner@{org.slug}.chain.test", full_name=f"Owner of {org.name}",
            password=password,
        )  # fmt: skip
        users.append(owner_of[org.pk])
    locs: list[Location] = []
    for j in range(locations):
        org = orgs[j % organizations]
        city, tz = CITIES[(j + j // organizations) % len(CITIES)]
        locs.append(
            Location(
                organization=org,
                name=f"{city} {j // organizations + 1}",
                timezone=tz,
                address=f"Via Roma {j + 1}, {city}",
                phone=f"+39 02 555 {j:04d}",
            )  # fmt: skip
        )
    Location.objects.bulk_create(locs)
    OpeningHours.objects.bulk_create(
        OpeningHours(
            organization_id=loc.organization_id, location=loc, weekday=d, opens=a, closes=b
        )
        for loc in locs
        for d, a, b in OPENING
    )
    rooms: list[Room] = []
    staff: list[tuple[Location, str, int, User]] = []
    for j, loc in enumerate(locs):
        slug = loc.organization.slug
        for k in range(lanes_per_location[j]):
            rooms.append(
                Room(
                    organization=loc.organization,
                    location=loc,
                    name=f"Room {k + 1}",
                    kind=ROOM_KINDS[k % 3],
                )  # fmt: skip
            )
            user = User(
                email=f"practitioner{k + 1}.l{j + 1}@{slug}.chain.test",
                full_name=f"Dr Practitioner {k + 1} ({loc.name})", password=password,
            )  # fmt: skip
            users.append(user)
            staff.append((loc, "practitioner", k, user))
        user = User(
            email=f"desk.l{j + 1}@{slug}.chain.test", full_name=f"Desk {loc.name}",
            password=password,
        )  # fmt: skip
        users.append(user)
        staff.append((loc, "reception", -1, user))
    Room.objects.bulk_create(rooms)
    User.objects.bulk_create(users)
    members = [
        Membership(organization=org, user=owner_of[org.pk], role="admin", title="Owner")
        for org in orgs
    ] + [
        Membership(
            organization=loc.organization,
            user=user,
            role=role,
            default_location=loc,
            title="Aesthetic physician" if role == "practitioner" else "Front desk",
        )  # fmt: skip
        for loc, role, _k, user in staff
    ]
    Membership.objects.bulk_create(members)
    member_of = {m.user_id: m for m in members}
    WorkingHours.objects.bulk_create(
        WorkingHours(
            organization=loc.organization,
            membership=member_of[user.pk],
            location=loc,
            weekday=d,
            opens=a,
            closes=b,
        )  # fmt: skip
        for loc, role, _k, user in staff
        if role == "practitioner"
        for d, a, b in WORKING
    )
    protocols = load_protocols()
    items = PriceItem.objects.bulk_create(
        [
            PriceItem(
                organization=org,
                code=f"session-{p.code}"[:40],
                name=p.name,
                kind="session",
                protocol_id=p.id,
                tax_category="E",
                exemption_code="VATEX-EU-132-1C",
            )  # fmt: skip
            for org in orgs
            for p in protocols
        ]
        + [
            PriceItem(
                organization=org,
                code="consultation",
                name="Consultation",
                kind="consultation",
                tax_category="E",
                exemption_code="VATEX-EU-132-1C",
            )  # fmt: skip
            for org in orgs
        ]
    )
    PriceVersion.objects.bulk_create(
        PriceVersion(
            organization_id=item.organization_id,
            item=item,
            amount=Decimal(80 + 10 * (item.pk % 9)),
            valid_from=start,
            created_by=owner_of[item.organization_id],
        )  # fmt: skip
        for item in items
    )
    products = sorted({pid for p in protocols for pid in p.products})
    lots = [
        ProductLot(
            organization=loc.organization,
            product_id=pid,
            location=loc,
            lot_number=f"L{month:%y%m}-{pid:02d}-{j + 1:02d}",
            expiry=month.replace(year=month.year + 2),
            supplier="Chain central pharmacy",
            received_ml=Decimal(5000),
            on_hand_ml=Decimal(5000),
            received_by=owner_of[loc.organization_id],
            unit_cost=Decimal("1.50"),
        )  # fmt: skip
        for j, loc in enumerate(locs)
        for pid in products
        for month in months
    ]
    ProductLot.objects.bulk_create(lots, batch_size=5000)
    StockMovement.objects.bulk_create(
        (
            StockMovement(
                organization_id=lot.organization_id,
                lot=lot,
                location_id=lot.location_id,
                kind="receive",
                quantity_ml=lot.received_ml,
                reason="delivery",
                by=owner_of[lot.organization_id],
            )  # fmt: skip
            for lot in lots
        ),
        batch_size=5000,
    )
    out: list[Loc] = []
    by_loc: dict[int, Loc] = {}
    for loc in locs:
        zoneinfo.ZoneInfo(loc.timezone)  # a known zone, or stop here
        desk = next(u for lo, r, _k, u in staff if lo is loc and r == "reception")
        item = Loc(
            id=loc.pk, org_id=loc.organization_id, org_name=loc.organization.name,
            name=loc.name, tz=loc.timezone, address=loc.address, phone=loc.phone,
            reception_user_id=desk.pk, reception_email=desk.email,
        )  # fmt: skip
        by_loc[loc.pk] = item
        out.append(item)
    room_by = {(r.location_id, int(r.name.split()[-1]) - 1): r.pk for r in rooms}
    for loc, role, k, user in staff:
        if role == "practitioner":
            by_loc[loc.pk].lanes.append(
                Lane(member_of[user.pk].pk, user.pk, user.email, room_by[(loc.pk, k)])
            )
    month_index = {m: i for i, m in enumerate(months)}
    for lot in lots:
        by_loc[lot.location_id].lots[
            (lot.product_id, month_index[lot.expiry.replace(year=lot.expiry.year - 2)])
        ] = lot.pk
    return Skeleton(out, protocols, [o.pk for o in orgs], len(users), PASSWORD)


split = _split
