"""Inspection / preventive maintenance pack: templates, plans and inspection runs."""
