"""Building a `time` block (docs/model.md §11) from hourly data: `planner aggregate`."""
