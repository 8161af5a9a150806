"""arq worker processes: one settings class per queue. Job functions live in the domains."""
