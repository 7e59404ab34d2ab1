"""The deployment test (`make deploy-test`): Debian bookworm booted with systemd as PID 1,
both roles installed as docs/deploy.md says, the units checked. Run with python3 -m."""
