"""The engine side: compiled rule set, harness config, engines that run Suricata."""
