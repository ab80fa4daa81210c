"""Building blocks shared by every scale: definitions, validation and banding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

Anchor = tuple[Decimal, str]
Compute = Callable[[Mapping[str, Decimal]], Decimal]


@dataclass(frozen=True)
class ItemDef:
    """One rated item.

    ``step`` None means integers only. For enumerated items (``choices``) the caller passes
    one of the codes and the item's value is its 1-based position, so ``minimum`` is 1 and
    ``maximum`` is ``len(choices)``.
    """

    key: str
    label: str
    minimum: Decimal
    maximum: Decimal
    step: Decimal | None = None
    anchors: tuple[Anchor, ...] = ()
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Band:
    """A named total range; ``low`` and ``high`` are both inclusive."""

    code: str
    label: str
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class ScoreResult:
    scale_id: str
    total: Decimal
    band: str | None


@dataclass(frozen=True)
class ItemError:
    field: str
    message: str


class ScaleValidationError(ValueError):
    """Raised with every bad item at once, so a form can mark all of them in one pass."""

    def __init__(self, scale_id: str, errors: list[ItemError]) -> None:
        self.scale_id = scale_id
        self.errors = errors
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(f"invalid items for scale '{scale_id}': {detail}")


@dataclass(frozen=True)
class ScaleDef:
    """A validated scale.

    ``higher_is_worse`` is True for severity scales, whose totals can be compared with a
    baseline to judge a response. It is False for GAIS (already a rating of change against
    baseline) and the Fitzpatrick phototype (a constitutional trait, not a disease state).
    """

    id: str
    name: str
    version: str
    items: tuple[ItemDef, ...]
    total_min: Decimal
    total_max: Decimal
    bands: tuple[Band, ...]
    citation: str
    higher_is_worse: bool
    description: str
    compute: Compute = field(repr=False, compare=False)

    def item(self, key: str) -> ItemDef:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def band_for(self, total: Decimal) -> str | None:
        """Band code for ``total``; None when the scale has no bands.

        Bands are contiguous in total order; a total falling between one band's ``high`` and
        the next band's ``low`` (impossible for totals this scale produces) takes the lower band.
        """
        if not self.total_min <= total <= self.total_max:
            raise ValueError(
                f"total {total} outside {self.total_min}..{self.total_max} for '{self.id}'"
            )
        chosen: Band | None = None
        for band in self.bands:
            if band.low <= total:
                chosen = band
        return chosen.code if chosen is not None else None

    def describe_total(self, total: Decimal) -> str:
        """``total`` as a reader knows it: the choice's code for a one-item enumerated scale
        (Norwood rank 11 is "VI"), otherwise the number without trailing zeros."""
        if len(self.items) == 1 and self.items[0].choices is not None:
            choices = self.items[0].choices
            if total == total.to_integral_value() and 1 <= total <= len(choices):
                return choices[int(total) - 1]
        return f"{total.normalize():f}"

    def band_rank(self, band: str) -> int:
        """Ordinal of ``band``: ``none`` is 0, the mildest non-empty band is 1."""
        codes = [b.code for b in self.bands]
        if band not in codes:
            raise ValueError(f"scale '{self.id}' has no band '{band}'")
        offset = 0 if codes[0] == "none" else 1
        return codes.index(band) + offset

    def validate(self, items: Mapping[str, object]) -> dict[str, Decimal]:
        values: dict[str, Decimal] = {}
        errors: list[ItemError] = []
        for item in self.items:
            if item.key not in items:
                errors.append(ItemError(item.key, "required"))
                continue
            value, message = _coerce(item, items[item.key])
            if message is not None:
                errors.append(ItemError(item.key, message))
            elif value is not None:
                values[item.key] = value
        known = {item.key for item in self.items}
        errors.extend(
            ItemError(key, "unknown item for this scale")
            for key in sorted(str(k) for k in items if k not in known)
        )
        if errors:
            raise ScaleValidationError(self.id, errors)
        return values

    def score(self, items: Mapping[str, object]) -> ScoreResult:
        total = self.compute(self.validate(items))
        return ScoreResult(scale_id=self.id, total=total, band=self.band_for(total))


def _coerce(item: ItemDef, raw: object) -> tuple[Decimal | None, str | None]:
    if item.choices is not None:
        if isinstance(raw, str) and raw in item.choices:
            return Decimal(item.choices.index(raw) + 1), None
        return None, f"must be one of {', '.join(item.choices)}"
    # bool is an int subclass; True would otherwise silently score as 1.
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        return None, "must be a number"
    try:
        # str() first so 0.1 becomes Decimal("0.1"), not its binary approximation.
        value = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    except InvalidOperation:
        return None, "must be a number"
    if not value.is_finite():
        return None, "must be a finite number"
    if item.step is None and value != value.to_integral_value():
        return None, "must be a whole number"
    if item.step is not None and (value - item.minimum) % item.step != 0:
        return None, f"must be in steps of {item.step}"
    if not item.minimum <= value <= item.maximum:
        return None, f"must be between {item.minimum} and {item.maximum}"
    return value, None


def integer_item(
    key: str, label: str, minimum: int, maximum: int, anchors: tuple[str, ...] = ()
) -> ItemDef:
    """Integer item whose anchors, if given, describe every level from ``minimum`` up."""
    if anchors and len(anchors) != maximum - minimum + 1:
        raise ValueError(f"{key}: need one anchor per level")
    return ItemDef(
        key=key,
        label=label,
        minimum=Decimal(minimum),
        maximum=Decimal(maximum),
        anchors=tuple((Decimal(minimum + i), text) for i, text in enumerate(anchors)),
    )


def bands(*spec: tuple[str, str, int | str, int | str]) -> tuple[Band, ...]:
    return tuple(Band(code, label, Decimal(low), Decimal(high)) for code, label, low, high in spec)


def sum_of_items(values: Mapping[str, Decimal]) -> Decimal:
    return sum(values.values(), Decimal(0))


def single_item(key: str) -> Compute:
    def compute(values: Mapping[str, Decimal]) -> Decimal:
        return values[key]

    return compute
