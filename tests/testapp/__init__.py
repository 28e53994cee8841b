"""A test-only app holding models that exercise project fields (the encrypted fields) and the outbox base in isolation."""
