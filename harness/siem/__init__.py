"""The SIEM side: where EVE lives (settings), the neutral hunt logic every SIEM backend renders
(logic), the checks of the emitted searches (Kusto parser, SPL lint), the DuckDB evaluator, golden
files and the build stage. The backends themselves are harness/backends/{spl,kql,sql}.py."""
