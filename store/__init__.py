"""The store: SQLAlchemy models, engine and sessions, migrations, upserts."""
