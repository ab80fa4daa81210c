"""Match a patient's free-text allergy to catalog ingredients and allergen families."""

from __future__ import annotations

from collections.abc import Iterable

from mesocare.catalog.models import AllergenFamily, Ingredient
from mesocare.lib.text import normalize_search


def _names(code: str, name: str, synonyms: Iterable[str]) -> set[str]:
    return {normalize_search(code.replace("_", " ")), normalize_search(name)} | {
        normalize_search(s) for s in synonyms
    }


def _best(text: str, candidates: list[tuple[object, set[str]]]) -> object | None:
    for obj, names in candidates:
        if text in names:
            return obj
    padded = f" {text} "
    hits = [
        (max(len(n) for n in names if f" {n} " in padded), obj)
        for obj, names in candidates
        if any(n and f" {n} " in padded for n in names)
    ]
    return max(hits, key=lambda hit: hit[0])[1] if hits else None


def match_substance(substance: str) -> tuple[Ingredient | None, AllergenFamily | None]:
    """'Soya' → (None, soy); 'lidocaine' → (lidocaine, None); unknown text → (None, None)."""
    text = normalize_search(substance)
    ingredients = [(i, _names(i.code, i.name, i.synonyms)) for i in Ingredient.objects.all()]
    families = [(f, _names(f.code, f.name, f.synonyms)) for f in AllergenFamily.objects.all()]
    ingredient = _best(text, ingredients)  # type: ignore[arg-type]
    family = None if ingredient else _best(text, families)  # type: ignore[arg-type]
    return ingredient, family  # type: ignore[return-value]
