"""The `schulhof` command line: a thin surface over services and importers."""
