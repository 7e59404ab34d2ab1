"""printing feature of the edge agent."""
