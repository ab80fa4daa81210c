"""Product lots, stock movements, recalls."""
