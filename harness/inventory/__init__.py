"""Asset inventory: devices and classes, importers (nmap, CMDB CSV), drift, and inventory-driven detections."""
