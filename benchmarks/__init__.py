"""Scale benchmarks for knownfix: `python -m benchmarks` prints one table (see benchmarks/__main__.py).

Every input is generated here, deterministically: the figures measure the code, not the data's luck.
"""
