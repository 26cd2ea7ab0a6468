// The tiled float convolution: the int8 kernel's walk (see conv_tiled_i16.c) with fused
// multiply-adds. A register tile is up to Q3D_TILE_PIXELS output pixels along W times
// Q3D_TILE_CHANNELS output channels: per tap and input channel, one broadcast of each pixel's input
// against two weight vectors of 8 channels gives 2·pixels FMAs.
#include <string.h>

#include "ccpukernels.h"
#include "output_tile.h"
#include "tile_walk.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// Adds the taps of one kernel row (tz, ty) to a tile of `pixels` outputs; `pixels` is a constant at
// every call site, so the 2·pixels accumulators stay in ymm registers.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile_avx2(const q3d_tile_walk *walk, const float *in, const float *w, int pixels, float *acc) {
    __m256 sum[Q3D_TILE_PIXELS][2];
    for (int p = 0; p < pixels; p++) {
        sum[p][0] = _mm256_loadu_ps(acc + p * Q3D_TILE_CHANNELS);
        sum[p][1] = _mm256_loadu_ps(acc + p * Q3D_TILE_CHANNELS + 8);
    }
    for (int64_t tx = 0; tx < walk->kernel_width; tx++, in += walk->tap_width) {
        for (int64_t c = 0; c < walk->channels; c++, w += Q3D_TILE_CHANNELS) {
            const __m256 w0 = _mm256_loadu_ps(w);
            const __m256 w1 = _mm256_loadu_ps(w + 8);
            for (int p = 0; p < pixels; p++) {
                const __m256 x = _mm256_broadcast_ss(in + p * walk->pixel_step + c);
                sum[p][0] = _mm256_fmadd_ps(x, w0, sum[p][0]);
                sum[p][1] = _mm256_fmadd_ps(x, w1, sum[p][1]);
            }
        }
    }
    for (int p = 0; p < pixels; p++) {
        _mm256_storeu_ps(acc + p * Q3D_TILE_CHANNELS, sum[p][0]);
        _mm256_storeu_ps(acc + p * Q3D_TILE_CHANNELS + 8, sum[p][1]);
    }
}

__attribute__((target("avx2,fma")))
static void segment_avx2(const q3d_tile_walk *walk, const float *in, const float *w, int pixels, float *acc) {
    for (int ox = 0; ox < pixels; ox += Q3D_TILE_PIXELS) {
        const float *tile_in = in + ox * walk->pixel_step;
        float *tile_acc = acc + ox * Q3D_TILE_CHANNELS;
        switch (pixels - ox < Q3D_TILE_PIXELS ? pixels - ox : Q3D_TILE_PIXELS) {
        case 6: tile_avx2(walk, tile_in, w, 6, tile_acc); break;
        case 5: tile_avx2(walk, tile_in, w, 5, tile_acc); break;
        case 4: tile_avx2(walk, tile_in, w, 4, tile_acc); break;
        case 3: tile_avx2(walk, tile_in, w, 3, tile_acc); break;
        case 2: tile_avx2(walk, tile_in, w, 2, tile_acc); break;
        default: tile_avx2(walk, tile_in, w, 1, tile_acc); break;
        }
    }
}
#endif

// The portable path: the same walk and packed layouts in plain C.
static void segment_scalar(const q3d_tile_walk *walk, const float *in, const float *w, int pixels, float *acc) {
    for (int64_t tx = 0; tx < walk->kernel_width; tx++, in += walk->tap_width) {
        for (int64_t c = 0; c < walk->channels; c++, w += Q3D_TILE_CHANNELS) {
            for (int p = 0; p < pixels; p++) {
                const float x = in[p * walk->pixel_step + c];
                for (int j = 0; j < Q3D_TILE_CHANNELS; j++) acc[p * Q3D_TILE_CHANNELS + j] += x * w[j];
            }
        }
    }
}

// Segments of one output row, one kernel row (tz, ty) at a time, as in conv_tiled_i16.c.
void q3d_conv_tiled_f32(const q3d_conv_geometry *g, const float *input, const float *weights,
                        const q3d_float_output *out, int64_t first, int64_t count, int32_t isa) {
    const q3d_tile_walk walk = q3d_make_tile_walk(g);
    const int64_t plane = g->out_depth * g->out_height * g->out_width;
    const int64_t kernel_row = g->kernel_width * g->packed_group_channels * Q3D_TILE_CHANNELS;
    float acc[Q3D_SEGMENT_PIXELS * Q3D_TILE_CHANNELS];
    for (int64_t item = first; item < first + count; item++) {
        const q3d_tiled_row r = q3d_tiled_row_at(g, item);
        for (int64_t ox = 0; ox < g->out_width; ox += Q3D_SEGMENT_PIXELS) {
            const int64_t left = g->out_width - ox;
            const int pixels = left < Q3D_SEGMENT_PIXELS ? (int)left : Q3D_SEGMENT_PIXELS;
            memset(acc, 0, sizeof(float) * (size_t)pixels * Q3D_TILE_CHANNELS);
            const float *w = weights + r.weight_offset;
            for (int64_t tz = 0; tz < g->kernel_depth; tz++) {
                for (int64_t ty = 0; ty < g->kernel_height; ty++, w += kernel_row) {
                    const float *in = input + r.input_offset + ox * walk.pixel_step + tz * walk.tap_depth
                                      + ty * walk.tap_height;
#if defined(__x86_64__) || defined(__i386__)
                    if (isa == Q3D_ISA_AVX2) {
                        segment_avx2(&walk, in, w, pixels, acc);
                        continue;
                    }
#endif
                    segment_scalar(&walk, in, w, pixels, acc);
                }
            }
            q3d_store_float_tile(out, acc, pixels, r.channels, r.first_channel, r.output_offset + ox, plane);
        }
    }
}
