"""Real components on loopback for tests, benchmarks and the demo.

Each service runs with private configuration, a unique port and its own
temporary directory, and is stopped by the process id it was started with.
"""
