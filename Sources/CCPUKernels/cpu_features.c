// Run-time CPU feature detection, so that one binary picks AVX2 kernels where they exist and the
// portable ones elsewhere.
#if defined(__linux__)
#define _GNU_SOURCE
#include <sched.h>
#endif
#include <unistd.h>

#include "ccpukernels.h"

static int32_t active_cores(void) {
#if defined(__linux__)
    // The affinity mask, not the machine's core count: a container or `taskset` may allow fewer.
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int32_t)online : 1;
}

q3d_cpu_features q3d_detect_cpu_features(void) {
    q3d_cpu_features features = {0};
    features.active_cores = active_cores();
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    features.avx2 = __builtin_cpu_supports("avx2") != 0;
    features.fma = __builtin_cpu_supports("fma") != 0;
    features.avx512f = __builtin_cpu_supports("avx512f") != 0;
    features.avx512vnni = __builtin_cpu_supports("avx512vnni") != 0;
    features.avxvnni = __builtin_cpu_supports("avxvnni") != 0;
#endif
    return features;
}
