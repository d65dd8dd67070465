"""Backends turn a validated rule into one target language: the interface and the one logic-tree
renderer (base), the shared logic tree (logic, flow), where EVE lives (settings), one module per
target, and the registry of all targets (registry)."""
