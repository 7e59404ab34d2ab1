"""scanning feature of the edge agent."""
