"""The operator's own sensor: check a suricata.yaml against what the pack needs, and configure it."""
