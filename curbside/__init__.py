"""Curbside's shared code, in layers, lowest first: vocabulary, city, domain, config and
adapters, readmodels, then the processes (evaluator, cli; ingest/, api/ and simulators/
sit beside this package). A module imports only its own layer or lower ones
(tests/unit/test_layers.py keeps it so)."""
