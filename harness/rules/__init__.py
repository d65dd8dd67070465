"""The rule model and everything that loads and validates it (first stage: imports nothing later)."""
