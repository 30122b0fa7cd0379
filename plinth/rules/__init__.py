"""Rules: expressions, formulas, validation rules, automations and assignment."""
