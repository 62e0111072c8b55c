"""Tests of the tooling (tools/): the benchmarks still run; never imported by the product."""
