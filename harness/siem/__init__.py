"""The SIEM side downstream of the backends: the checks of the emitted searches (Kusto parser, SPL
lint), the DuckDB evaluator, golden files, `show` and the build stage. The backends, the logic tree
they render and where EVE lives (settings) are in harness/backends/."""
