"""Build and dist: the packs per target, report, changelog, manifest, archive."""
