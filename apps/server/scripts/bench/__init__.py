"""Helpers of `scripts/bench_serving.py`: the stack, the load, CPU accounting, the report.

Library code: nothing here prints; the script writes what these return.
"""
