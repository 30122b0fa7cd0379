"""The demo city: customers, engineers, a week of work, a backlog and tracks."""
