"""The HTML report of a solve, and the frontier plot of a sweep."""
