"""Inventory services: `stock` (receiving, movements, the on-hand invariant), `recall`
(recalls and recipient traceback) and `alerts` (low stock, near expiry)."""
