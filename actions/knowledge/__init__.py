"""The SQL knowledge store: schema, seed import/export/check, and read queries."""
