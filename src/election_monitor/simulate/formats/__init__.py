"""Writers of the three input formats (docs/formats.md), fed by the generator's events."""
