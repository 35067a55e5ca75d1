"""The model: index sets and parameters, expressions, the family registry, assembly."""
