"""wifi feature of the edge agent."""
