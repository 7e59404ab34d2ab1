"""Plumbing edge and central share: settings loader, MQTT link, service and check helpers.

Imports only the standard library, paho-mqtt and `protocol` (a layering test keeps it so).
"""
