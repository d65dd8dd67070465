"""iotdetect: detection content for IoT VLANs, compiled to Suricata, Splunk and Sentinel."""
