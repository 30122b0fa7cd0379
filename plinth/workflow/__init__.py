"""Workflows: state machines, transitions, approvals, SLA clocks and business calendars."""
