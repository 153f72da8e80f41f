// CFuzzerDriver: declares libFuzzer's driver entry so that a SwiftPM executable (whose `main`
// SwiftPM renames and re-exports) can hand control to libFuzzer.
#ifndef CFUZZERDRIVER_H
#define CFUZZERDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line, calling `callback` once per input. Provided by the
/// libFuzzer runtime that `-sanitize=fuzzer` links.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
