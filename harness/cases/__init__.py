"""Test cases: their traffic, the regression run over Suricata, verdicts and JUnit."""
