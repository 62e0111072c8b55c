"""Broker accounts: devices, gateways and services, their passwords and what each may do.

The state (``accounts.json``) is the source; Mosquitto's password file and ACL file are
rendered from it, and the broker is told to reload them (SIGHUP). See docs/security.md.
"""
