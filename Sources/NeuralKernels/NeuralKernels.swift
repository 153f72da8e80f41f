/// SIMD neural-network kernels (issue 3).
