"""Layer 4: read models and reports shared by the API, the alert evaluator and the benchmarks."""
