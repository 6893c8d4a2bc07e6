"""Command handlers, batch import, the CLI and store selection: the only layer that does I/O."""
