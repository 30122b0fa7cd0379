"""Spare parts: the stock ledger and its balances."""
