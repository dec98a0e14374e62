"""Everything that speaks SQL: models, engine, queries, the embedded server. No Qt."""
