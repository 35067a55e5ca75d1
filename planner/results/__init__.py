"""Results: tables, prices, insight (bottlenecks), reading and writing result directories."""
