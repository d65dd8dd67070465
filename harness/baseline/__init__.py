"""Learned device behaviour baselines (issue 16): profiles from EVE flow events, compiled into
Suricata allowlist rules and SIEM volume/fan-out searches, proven on multi-day traffic."""
