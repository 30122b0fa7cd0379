"""The engineer's own endpoints: the day's tasks, parts, check-ins."""
