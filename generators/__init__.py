"""Deterministic scapy traffic generators for iotdetect (see ``generators.registry``)."""
