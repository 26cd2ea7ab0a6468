// CCUDA: the few declarations Q3D needs from the CUDA driver API and from NVRTC, written for Q3D.
//
// Nothing here comes from the CUDA SDK and building needs none of it: the types are opaque handles or
// plain integers of the same size, the enum values are the ones the public driver API documentation
// lists, and every entry point is a function pointer filled in at run time (`dlopen`), so a machine
// without a GPU or a CUDA toolkit builds and tests everything but the device path.
#pragma once

#include <stddef.h>
#include <stdint.h>

// MARK: - Driver API types

/// `CUresult`: 0 is success; other values are named by `cuGetErrorName`.
typedef int ccuda_result;
/// `CUdevice`: an ordinal-like handle.
typedef int ccuda_device;
/// `CUdeviceptr`: a device address (64 bits on every platform Q3D runs on).
typedef uint64_t ccuda_deviceptr;
typedef struct ccuda_context_opaque *_Nullable ccuda_context;
typedef struct ccuda_module_opaque *_Nullable ccuda_module;
typedef struct ccuda_function_opaque *_Nullable ccuda_function;
typedef struct ccuda_stream_opaque *_Nullable ccuda_stream;
typedef struct ccuda_event_opaque *_Nullable ccuda_event;

enum { CCUDA_SUCCESS = 0 };

/// The version whose semantics Q3D asks `cuGetProcAddress` for (12.0): it picks the matching
/// variant (`cuMemAlloc_v2`, `cuStreamDestroy_v2`, ...) of each base name.
enum { CCUDA_API_VERSION = 12000 };

/// `CUdevice_attribute` values used by Q3D.
typedef enum ccuda_device_attribute {
    CCUDA_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    CCUDA_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CCUDA_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    CCUDA_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12,
    CCUDA_DEVICE_ATTRIBUTE_CLOCK_RATE = 13,
    CCUDA_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CCUDA_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,
    CCUDA_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,
    CCUDA_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
    CCUDA_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,
    CCUDA_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CCUDA_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    CCUDA_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
    CCUDA_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR = 82,
    CCUDA_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
} ccuda_device_attribute;

/// `CUfunction_attribute` values used by Q3D.
typedef enum ccuda_function_attribute {
    CCUDA_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    CCUDA_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    CCUDA_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
    CCUDA_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    CCUDA_FUNC_ATTRIBUTE_NUM_REGS = 4,
    CCUDA_FUNC_ATTRIBUTE_PTX_VERSION = 5,
    CCUDA_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
    CCUDA_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
} ccuda_function_attribute;

// MARK: - Driver API entry points

// Every pointer below is non-null unless marked `_Nullable`, so Swift sees the entry points as plain
// (non-optional) functions: the loaders fill every field or fail.
#pragma clang assume_nonnull begin

/// The driver entry points Q3D calls, resolved through `cuGetProcAddress` for `CCUDA_API_VERSION`.
/// Each field carries the base name of the entry point; the signatures are those of that version.
typedef struct ccuda_driver_api {
    ccuda_result (*cuInit)(unsigned int flags);
    ccuda_result (*cuDriverGetVersion)(int *version);
    ccuda_result (*cuDeviceGetCount)(int *count);
    ccuda_result (*cuDeviceGet)(ccuda_device *device, int ordinal);
    ccuda_result (*cuDeviceGetName)(char *name, int length, ccuda_device device);
    ccuda_result (*cuDeviceGetAttribute)(int *value, ccuda_device_attribute attribute, ccuda_device device);
    ccuda_result (*cuDeviceTotalMem)(size_t *bytes, ccuda_device device);
    ccuda_result (*cuDevicePrimaryCtxRetain)(ccuda_context *_Nonnull context, ccuda_device device);
    ccuda_result (*cuDevicePrimaryCtxRelease)(ccuda_device device);
    ccuda_result (*cuCtxSetCurrent)(ccuda_context context);
    ccuda_result (*cuCtxSynchronize)(void);
    ccuda_result (*cuMemAlloc)(ccuda_deviceptr *address, size_t bytes);
    ccuda_result (*cuMemFree)(ccuda_deviceptr address);
    ccuda_result (*cuMemcpyHtoD)(ccuda_deviceptr destination, const void *source, size_t bytes);
    ccuda_result (*cuMemcpyDtoH)(void *destination, ccuda_deviceptr source, size_t bytes);
    ccuda_result (*cuMemsetD8)(ccuda_deviceptr destination, unsigned char value, size_t count);
    ccuda_result (*cuMemsetD32)(ccuda_deviceptr destination, unsigned int value, size_t count);
    ccuda_result (*cuMemGetInfo)(size_t *free, size_t *total);
    ccuda_result (*cuStreamCreate)(ccuda_stream *_Nonnull stream, unsigned int flags);
    ccuda_result (*cuStreamDestroy)(ccuda_stream stream);
    ccuda_result (*cuStreamSynchronize)(ccuda_stream stream);
    ccuda_result (*cuEventCreate)(ccuda_event *_Nonnull event, unsigned int flags);
    ccuda_result (*cuEventDestroy)(ccuda_event event);
    ccuda_result (*cuEventRecord)(ccuda_event event, ccuda_stream stream);
    ccuda_result (*cuEventSynchronize)(ccuda_event event);
    ccuda_result (*cuEventElapsedTime)(float *milliseconds, ccuda_event start, ccuda_event end);
    ccuda_result (*cuModuleLoadData)(ccuda_module *_Nonnull module, const void *image);
    ccuda_result (*cuModuleUnload)(ccuda_module module);
    ccuda_result (*cuModuleGetFunction)(ccuda_function *_Nonnull function, ccuda_module module, const char *name);
    ccuda_result (*cuFuncGetAttribute)(int *value, ccuda_function_attribute attribute, ccuda_function function);
    ccuda_result (*cuFuncSetAttribute)(ccuda_function function, ccuda_function_attribute attribute, int value);
    ccuda_result (*cuLaunchKernel)(ccuda_function function,
                                   unsigned int gridX, unsigned int gridY, unsigned int gridZ,
                                   unsigned int blockX, unsigned int blockY, unsigned int blockZ,
                                   unsigned int sharedBytes, ccuda_stream stream,
                                   void *_Nullable *_Nullable parameters,
                                   void *_Nullable *_Nullable extra);
    ccuda_result (*cuGetErrorName)(ccuda_result code, const char *_Nullable *_Nonnull name);
    ccuda_result (*cuGetErrorString)(ccuda_result code, const char *_Nullable *_Nonnull message);
} ccuda_driver_api;

/// Opens `libcuda.so.1`, looks up `cuGetProcAddress_v2` (or the older `cuGetProcAddress`) and resolves
/// every entry point through it. Returns a table the caller frees with `free`, or NULL after writing the
/// reason (the `dlerror` text or the entry point that is missing) into `reason`. Calls nothing else:
/// `cuInit` is the caller's first call.
ccuda_driver_api *_Nullable ccuda_driver_load(char *reason, size_t reason_size);

#pragma clang assume_nonnull end

// MARK: - NVRTC

/// `nvrtcResult`: 0 is success; 6 (`NVRTC_ERROR_COMPILATION`) means the log explains why.
typedef int ccuda_nvrtc_result;
typedef struct ccuda_nvrtc_program_opaque *_Nullable ccuda_nvrtc_program;

enum {
    CCUDA_NVRTC_SUCCESS = 0,
    CCUDA_NVRTC_ERROR_COMPILATION = 6,
};

#pragma clang assume_nonnull begin

/// The NVRTC entry points Q3D calls, found with `dlsym` in one NVRTC library.
typedef struct ccuda_nvrtc_api {
    ccuda_nvrtc_result (*nvrtcVersion)(int *major, int *minor);
    ccuda_nvrtc_result (*nvrtcGetNumSupportedArchs)(int *count);
    ccuda_nvrtc_result (*nvrtcGetSupportedArchs)(int *architectures);
    ccuda_nvrtc_result (*nvrtcCreateProgram)(ccuda_nvrtc_program *_Nonnull program, const char *source, const char *name,
                                             int headerCount, const char *const _Nullable *_Nullable headers,
                                             const char *const _Nullable *_Nullable includeNames);
    ccuda_nvrtc_result (*nvrtcCompileProgram)(ccuda_nvrtc_program program, int optionCount,
                                              const char *const _Nullable *_Nullable options);
    ccuda_nvrtc_result (*nvrtcGetProgramLogSize)(ccuda_nvrtc_program program, size_t *bytes);
    ccuda_nvrtc_result (*nvrtcGetProgramLog)(ccuda_nvrtc_program program, char *log);
    ccuda_nvrtc_result (*nvrtcGetPTXSize)(ccuda_nvrtc_program program, size_t *bytes);
    ccuda_nvrtc_result (*nvrtcGetPTX)(ccuda_nvrtc_program program, char *ptx);
    ccuda_nvrtc_result (*nvrtcGetCUBINSize)(ccuda_nvrtc_program program, size_t *bytes);
    ccuda_nvrtc_result (*nvrtcGetCUBIN)(ccuda_nvrtc_program program, char *cubin);
    ccuda_nvrtc_result (*nvrtcDestroyProgram)(ccuda_nvrtc_program *_Nonnull program);
    const char *_Nullable (*_Nonnull nvrtcGetErrorString)(ccuda_nvrtc_result code);
} ccuda_nvrtc_api;

/// Opens the NVRTC library at `path` privately (`RTLD_LOCAL`, so several NVRTC versions can live in one
/// process) and finds its entry points with `dlsym`. Returns a table the caller frees with `free`, or
/// NULL after writing the reason into `reason`. The library stays loaded for the life of the process.
ccuda_nvrtc_api *_Nullable ccuda_nvrtc_load(const char *path, char *reason, size_t reason_size);

#pragma clang assume_nonnull end
