"""The event store: the eventsourcing application, its mapper and fast decoder, the SQLite and
PostgreSQL recorders, the cipher, and copying a store."""
