"""Indications, ingredients, products, protocols and instruction sets (+ curated data/)."""
