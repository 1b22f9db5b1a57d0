"""The PostgreSQL warehouse: connection, embedded server, schema, migrations and COPY."""
