# Peer figure for the kernels benchmark: numpy (OpenBLAS) sgemm 512^3 on one thread, best thread-CPU time.
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import time
import numpy as np

n = 512
rng = np.random.default_rng(1)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
for _ in range(3):
    a @ b
best = float("inf")
for _ in range(30):
    t = time.thread_time_ns()
    a @ b
    best = min(best, time.thread_time_ns() - t)
print(2 * n**3 / best)
