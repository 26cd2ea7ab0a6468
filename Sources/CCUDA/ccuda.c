// Run-time loading of the CUDA driver and of NVRTC; see include/ccuda.h.
#include "ccuda.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// One entry point: its base name and where its pointer goes in the table.
typedef struct entry_point {
    const char *name;
    size_t offset;
} entry_point;

#define DRIVER_ENTRY(field) { #field, offsetof(ccuda_driver_api, field) }
static const entry_point driver_entry_points[] = {
    DRIVER_ENTRY(cuInit), DRIVER_ENTRY(cuDriverGetVersion), DRIVER_ENTRY(cuDeviceGetCount),
    DRIVER_ENTRY(cuDeviceGet), DRIVER_ENTRY(cuDeviceGetName), DRIVER_ENTRY(cuDeviceGetAttribute),
    DRIVER_ENTRY(cuDeviceTotalMem), DRIVER_ENTRY(cuDevicePrimaryCtxRetain),
    DRIVER_ENTRY(cuDevicePrimaryCtxRelease), DRIVER_ENTRY(cuCtxSetCurrent), DRIVER_ENTRY(cuCtxSynchronize),
    DRIVER_ENTRY(cuMemAlloc), DRIVER_ENTRY(cuMemFree), DRIVER_ENTRY(cuMemcpyHtoD), DRIVER_ENTRY(cuMemcpyDtoH),
    DRIVER_ENTRY(cuMemsetD8), DRIVER_ENTRY(cuMemsetD32), DRIVER_ENTRY(cuMemGetInfo),
    DRIVER_ENTRY(cuStreamCreate), DRIVER_ENTRY(cuStreamDestroy), DRIVER_ENTRY(cuStreamSynchronize),
    DRIVER_ENTRY(cuEventCreate), DRIVER_ENTRY(cuEventDestroy), DRIVER_ENTRY(cuEventRecord),
    DRIVER_ENTRY(cuEventSynchronize), DRIVER_ENTRY(cuEventElapsedTime), DRIVER_ENTRY(cuModuleLoadData),
    DRIVER_ENTRY(cuModuleUnload), DRIVER_ENTRY(cuModuleGetFunction), DRIVER_ENTRY(cuFuncGetAttribute),
    DRIVER_ENTRY(cuFuncSetAttribute), DRIVER_ENTRY(cuLaunchKernel), DRIVER_ENTRY(cuGetErrorName),
    DRIVER_ENTRY(cuGetErrorString),
};

#define NVRTC_ENTRY(field) { #field, offsetof(ccuda_nvrtc_api, field) }
static const entry_point nvrtc_entry_points[] = {
    NVRTC_ENTRY(nvrtcVersion), NVRTC_ENTRY(nvrtcGetNumSupportedArchs), NVRTC_ENTRY(nvrtcGetSupportedArchs),
    NVRTC_ENTRY(nvrtcCreateProgram), NVRTC_ENTRY(nvrtcCompileProgram), NVRTC_ENTRY(nvrtcGetProgramLogSize),
    NVRTC_ENTRY(nvrtcGetProgramLog), NVRTC_ENTRY(nvrtcGetPTXSize), NVRTC_ENTRY(nvrtcGetPTX),
    NVRTC_ENTRY(nvrtcGetCUBINSize), NVRTC_ENTRY(nvrtcGetCUBIN), NVRTC_ENTRY(nvrtcDestroyProgram),
    NVRTC_ENTRY(nvrtcGetErrorString),
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/// Stores `pointer` into the table field at `offset`. POSIX guarantees that a `void *` from `dlsym`
/// or `cuGetProcAddress` converts to a function pointer.
static void store_entry(void *table, size_t offset, void *pointer) {
    memcpy((char *)table + offset, &pointer, sizeof pointer);
}

static void write_dlerror(char *reason, size_t reason_size, const char *what) {
    const char *detail = dlerror();
    snprintf(reason, reason_size, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

// `cuGetProcAddress_v2` (CUDA 12.0 and later) reports in `status` why a symbol is missing; the older
// `cuGetProcAddress` (CUDA 11.3 and later) has no such argument.
typedef ccuda_result (*get_proc_address_v2)(const char *symbol, void **pointer, int version, uint64_t flags,
                                            int *status);
typedef ccuda_result (*get_proc_address_v1)(const char *symbol, void **pointer, int version, uint64_t flags);

ccuda_driver_api *ccuda_driver_load(char *reason, size_t reason_size) {
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        write_dlerror(reason, reason_size, "libcuda.so.1 not found");
        return NULL;
    }
    get_proc_address_v2 lookup_v2 = NULL;
    get_proc_address_v1 lookup_v1 = NULL;
    void *symbol = dlsym(library, "cuGetProcAddress_v2");
    if (symbol) {
        memcpy(&lookup_v2, &symbol, sizeof symbol);
    } else {
        symbol = dlsym(library, "cuGetProcAddress");
        if (!symbol) {
            snprintf(reason, reason_size, "libcuda.so.1 has neither cuGetProcAddress_v2 nor cuGetProcAddress "
                                          "(driver older than CUDA 11.3)");
            return NULL;
        }
        memcpy(&lookup_v1, &symbol, sizeof symbol);
    }
    ccuda_driver_api *api = calloc(1, sizeof *api);
    if (!api) {
        snprintf(reason, reason_size, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < COUNT(driver_entry_points); i++) {
        const entry_point *entry = &driver_entry_points[i];
        void *pointer = NULL;
        int status = 0;
        ccuda_result result = lookup_v2 ? lookup_v2(entry->name, &pointer, CCUDA_API_VERSION, 0, &status)
                                        : lookup_v1(entry->name, &pointer, CCUDA_API_VERSION, 0);
        if (result != CCUDA_SUCCESS || status != 0 || !pointer) {
            snprintf(reason, reason_size, "cuGetProcAddress(\"%s\", version %d) failed (result %d, status %d)",
                     entry->name, CCUDA_API_VERSION, result, status);
            free(api);
            return NULL;
        }
        store_entry(api, entry->offset, pointer);
    }
    return api;
}

ccuda_nvrtc_api *ccuda_nvrtc_load(const char *path, char *reason, size_t reason_size) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        write_dlerror(reason, reason_size, "dlopen failed");
        return NULL;
    }
    ccuda_nvrtc_api *api = calloc(1, sizeof *api);
    if (!api) {
        snprintf(reason, reason_size, "out of memory");
        dlclose(library);
        return NULL;
    }
    for (size_t i = 0; i < COUNT(nvrtc_entry_points); i++) {
        const entry_point *entry = &nvrtc_entry_points[i];
        void *pointer = dlsym(library, entry->name);
        if (!pointer) {
            snprintf(reason, reason_size, "%s has no %s", path, entry->name);
            free(api);
            dlclose(library);
            return NULL;
        }
        store_entry(api, entry->offset, pointer);
    }
    return api;
}
