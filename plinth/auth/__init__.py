"""Users, roles, API tokens and permission checks."""
