"""Sub-commands of the ``plinth`` CLI, one module per area."""
