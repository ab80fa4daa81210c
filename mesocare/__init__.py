"""mesocare: runs a mesotherapy clinic end to end."""
