"""Developer tooling: the benchmark, the model analysis (complexity, the config table) and
the demo-data builder.  Nothing at runtime imports this package (a test checks)."""
