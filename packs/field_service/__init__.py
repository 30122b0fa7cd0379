"""Field service management pack: customers, sites, assets (more objects arrive with v1)."""
