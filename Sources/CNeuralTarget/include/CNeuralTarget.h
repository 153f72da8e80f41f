// Exposes the compile-time SIMD target of the importing Swift module (its `-Xcc -march=`) as constants,
// because Swift has no `#if` on CPU features. Evaluated by the clang importer with the importer's flags.
#ifndef CNEURALTARGET_H
#define CNEURALTARGET_H

#if defined(__AVX512F__)
#define CNeuralTarget_VECTOR_BITS 512
#elif defined(__AVX2__) && defined(__FMA__)
#define CNeuralTarget_VECTOR_BITS 256
#else
#define CNeuralTarget_VECTOR_BITS 128
#endif

#if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define CNeuralTarget_HAS_FMA 1
#else
#define CNeuralTarget_HAS_FMA 0
#endif

#endif
