"""Settlements: expense lines gathered per party and period."""
