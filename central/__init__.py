"""culturehouse central: collects what the houses send; dashboard, alerts and reports."""

__version__ = "0.1.0"
