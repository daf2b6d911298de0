"""Model analysis tools (complexity against the papers)."""
