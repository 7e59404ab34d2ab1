"""culturehouse edge agent: runs on the Raspberry Pi in each cultural house."""

__version__ = "0.1.0"
