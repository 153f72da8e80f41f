// Only the header matters: the symbol comes from the libFuzzer runtime.
