"""Target file formats shared by the release and the feature packages: Splunk .conf,
Sentinel analytics rules, deterministic archives."""
