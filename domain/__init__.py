"""The agreement's terms, events and rules: pure, no I/O, no clock."""
