"""Benchmarks of the dispatch optimiser: Solomon VRPTW against best-known solutions."""
