// Writing a finished tile of accumulators: shared by the tiled and depthwise kernels of both
// instruction sets, so the requantization below is the only one on the CPU.
#ifndef Q3D_OUTPUT_TILE_H
#define Q3D_OUTPUT_TILE_H

#include <math.h>

#include "ccpukernels.h"

// ConvGeometry's `Epilogue.apply`, operation for operation in fp32: fmaf is a single rounding like
// Swift's `addingProduct`, `(float)` rounds an int32 to nearest even, and nearbyintf rounds half to
// even in the default rounding mode. A NaN (from a NaN scale or bias) gives 0 either way.
static inline int8_t q3d_requantize(const q3d_int_output *out, int32_t acc, int64_t channel, int64_t index) {
    float v = fmaf((float)acc, out->scale[channel], out->bias[channel]);
    if (out->residual) v = fmaf((float)out->residual[index], out->residual_scale, v);
    if (out->relu) v = v > 0.0f ? v : 0.0f;
    if (v != v) return 0;
    const float r = nearbyintf(v);
    if (r >= 127.0f) return 127;
    if (r <= -128.0f) return -128;
    return (int8_t)r;
}

// Stores `pixels` consecutive outputs along W of `channels` output channels starting at `first_channel`;
// `acc` holds them as [pixel][Q3D_TILE_CHANNELS]. `base` is the output index of (n, first_channel,
// od, oh, ox) and `plane` is Do·Ho·Wo, the distance between channels.
static inline void q3d_store_int_tile(const q3d_int_output *out, const int32_t *acc, int pixels, int64_t channels,
                                      int64_t first_channel, int64_t base, int64_t plane) {
    for (int64_t j = 0; j < channels; j++) {
        const int64_t index = base + j * plane;
        if (out->accumulators) {
            for (int p = 0; p < pixels; p++) out->accumulators[index + p] = acc[p * Q3D_TILE_CHANNELS + j];
        } else {
            for (int p = 0; p < pixels; p++) {
                const int32_t value = acc[p * Q3D_TILE_CHANNELS + j];
                out->requantized[index + p] = q3d_requantize(out, value, first_channel + j, index + p);
            }
        }
    }
}

static inline void q3d_store_float_tile(const q3d_float_output *out, const float *acc, int pixels, int64_t channels,
                                        int64_t first_channel, int64_t base, int64_t plane) {
    for (int64_t j = 0; j < channels; j++) {
        const float bias = out->bias ? out->bias[first_channel + j] : 0.0f;
        float *o = out->values + base + j * plane;
        for (int p = 0; p < pixels; p++) {
            const float v = acc[p * Q3D_TILE_CHANNELS + j] + bias;
            o[p] = out->relu && v < 0.0f ? 0.0f : v;
        }
    }
}

#endif
