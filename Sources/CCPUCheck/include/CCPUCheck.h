// Stops a program built for a newer x86-64 level (SIGHTLINE_MARCH=x86-64-v3 or -v4) at start, with a clear message,
// on a CPU that lacks what the build needs, before any code compiled for that level runs (a constructor).
#ifndef CCPUCHECK_H
#define CCPUCHECK_H

/// The x86-64 level this build needs ("x86-64-v3", "x86-64-v4"), or "" when it runs on any x86-64 (baseline, native
/// and non-x86 builds check nothing). Each program references it so that the linker keeps the check.
const char *CCPUCheck_required_level(void);

#endif
