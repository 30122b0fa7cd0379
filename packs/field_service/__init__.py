"""Field service management pack: work orders, field tasks, resources, parts, check-ins."""
