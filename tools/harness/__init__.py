"""One way to run Curbside's real services and processes, for the tests (integration, e2e,
browser, faults) and the benchmarks alike: free ports, scripts/services on a run folder of its
own, ``python -m X`` subprocesses with their logs, metrics and /proc readings."""
