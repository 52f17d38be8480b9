"""One module per device type; each is imported lazily and never fails import."""
