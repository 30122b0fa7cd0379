"""Customer evaluations through signed, expiring links."""
