"""Release packaging: `iotdetect dist` builds versioned, reproducible packs for each platform."""
