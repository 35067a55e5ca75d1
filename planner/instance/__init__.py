"""The instance: YAML format, schema, validation, series and parameter paths."""
