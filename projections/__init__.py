"""Pure folds: events + (as_of, known_at) -> the agreement's state; and the read model."""
