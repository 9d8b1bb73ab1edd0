"""Sub-commands of the `coach` CLI, one module per area."""
