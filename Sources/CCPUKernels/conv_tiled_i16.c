// The tiled int8 convolution: int8 data sign-extended to int16 when packed, so that vpmaddwd
// (`_mm256_madd_epi16`) multiplies two channel pairs and adds them into int32 exactly — int16
// products of int8 values are at most 2^14, a pair at most 2^15, far from int32's limit.
//
// A register tile is up to Q3D_TILE_PIXELS consecutive output pixels along W times Q3D_TILE_CHANNELS
// output channels: per tap and channel pair, one broadcast of each pixel's input pair against two
// weight vectors of 8 channel pairs each gives 2·pixels madds into 2·pixels accumulators.
#include <string.h>

#include "ccpukernels.h"
#include "output_tile.h"
#include "tile_walk.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// Adds the taps of one kernel row (tz, ty) to a tile of `pixels` outputs. `pixels` is a constant at
// every call site, so each instantiation unrolls fully and keeps the 2·pixels accumulators in ymm
// registers (12 of the 16 at 6 pixels).
__attribute__((target("avx2,fma"), always_inline))
static inline void tile_avx2(const q3d_tile_walk *walk, const int16_t *in, const int16_t *w, int pixels, int32_t *acc) {
    __m256i sum[Q3D_TILE_PIXELS][2];
    for (int p = 0; p < pixels; p++) {
        sum[p][0] = _mm256_loadu_si256((const __m256i *)(acc + p * Q3D_TILE_CHANNELS));
        sum[p][1] = _mm256_loadu_si256((const __m256i *)(acc + p * Q3D_TILE_CHANNELS + 8));
    }
    const int64_t pairs = walk->channels / 2;
    for (int64_t tx = 0; tx < walk->kernel_width; tx++, in += walk->tap_width) {
        for (int64_t q = 0; q < pairs; q++, w += 2 * Q3D_TILE_CHANNELS) {
            const __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
            const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + Q3D_TILE_CHANNELS));
            for (int p = 0; p < pixels; p++) {
                int32_t pair;
                memcpy(&pair, in + p * walk->pixel_step + 2 * q, sizeof pair);
                const __m256i x = _mm256_set1_epi32(pair);
                sum[p][0] = _mm256_add_epi32(sum[p][0], _mm256_madd_epi16(x, w0));
                sum[p][1] = _mm256_add_epi32(sum[p][1], _mm256_madd_epi16(x, w1));
            }
        }
    }
    for (int p = 0; p < pixels; p++) {
        _mm256_storeu_si256((__m256i *)(acc + p * Q3D_TILE_CHANNELS), sum[p][0]);
        _mm256_storeu_si256((__m256i *)(acc + p * Q3D_TILE_CHANNELS + 8), sum[p][1]);
    }
}

__attribute__((target("avx2,fma")))
static void segment_avx2(const q3d_tile_walk *walk, const int16_t *in, const int16_t *w, int pixels, int32_t *acc) {
    for (int ox = 0; ox < pixels; ox += Q3D_TILE_PIXELS) {
        const int16_t *tile_in = in + ox * walk->pixel_step;
        int32_t *tile_acc = acc + ox * Q3D_TILE_CHANNELS;
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

// Writes a finished segment like q3d_store_int_tile, requantizing eight pixels of one channel at a
// time with the same fp32 operations: vcvtdq2ps and vcvtps2dq round to nearest even as (float) and
// nearbyintf do, clamping before rounding equals clamping after (the bounds are integers), and a NaN
// becomes 0 as in the scalar code. Pixels left over after the last eight take the scalar code.
__attribute__((target("avx2,fma")))
static void store_avx2(const q3d_int_output *out, const int32_t *acc, int pixels, int64_t channels,
                       int64_t first_channel, int64_t base, int64_t plane) {
    if (out->accumulators) {
        q3d_store_int_tile(out, acc, pixels, channels, first_channel, base, plane);
        return;
    }
    int32_t column[Q3D_SEGMENT_PIXELS];
    const __m256 low = _mm256_set1_ps(-128.0f), high = _mm256_set1_ps(127.0f);
    const __m256 residual_scale = _mm256_set1_ps(out->residual_scale);
    for (int64_t j = 0; j < channels; j++) {
        const int64_t index = base + j * plane;
        for (int p = 0; p < pixels; p++) column[p] = acc[p * Q3D_TILE_CHANNELS + j];
        const __m256 scale = _mm256_set1_ps(out->scale[first_channel + j]);
        const __m256 bias = _mm256_set1_ps(out->bias[first_channel + j]);
        int p = 0;
        for (; p + 8 <= pixels; p += 8) {
            const __m256i sums = _mm256_loadu_si256((const __m256i *)(column + p));
            __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, bias);
            if (out->residual) {
                const __m128i r = _mm_loadl_epi64((const __m128i *)(out->residual + index + p));
                v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(r)), residual_scale, v);
            }
            if (out->relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
            v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
            const __m256i q = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, low), high));
            const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
            _mm_storel_epi64((__m128i *)(out->requantized + index + p), _mm_packs_epi16(words, words));
        }
        for (; p < pixels; p++)
            out->requantized[index + p] = q3d_requantize(out, column[p], first_channel + j, index + p);
    }
}
#endif

// The portable path: the same walk and packed layouts in plain C.
static void segment_scalar(const q3d_tile_walk *walk, const int16_t *in, const int16_t *w, int pixels, int32_t *acc) {
    const int64_t pairs = walk->channels / 2;
    for (int64_t tx = 0; tx < walk->kernel_width; tx++, in += walk->tap_width) {
        for (int64_t q = 0; q < pairs; q++, w += 2 * Q3D_TILE_CHANNELS) {
            for (int p = 0; p < pixels; p++) {
                const int32_t x0 = in[p * walk->pixel_step + 2 * q];
                const int32_t x1 = in[p * walk->pixel_step + 2 * q + 1];
                for (int j = 0; j < Q3D_TILE_CHANNELS; j++)
                    acc[p * Q3D_TILE_CHANNELS + j] += x0 * w[2 * j] + x1 * w[2 * j + 1];
            }
        }
    }
}

// One output row is computed in segments of up to Q3D_SEGMENT_PIXELS pixels whose accumulators stay
// in a small buffer, one kernel row (tz, ty) at a time: the weights of one kernel row
// (kw·Cg'·16 int16, 12 KiB for C = 128 and kw = 3) then serve the whole segment from L1 instead of
// streaming the whole panel from L2 for every register tile.
//
// Inlined into one function per instruction set, with that set's segment and store functions.
typedef void (*segment_function)(const q3d_tile_walk *, const int16_t *, const int16_t *, int, int32_t *);
typedef void (*store_function)(const q3d_int_output *, const int32_t *, int, int64_t, int64_t, int64_t, int64_t);

__attribute__((always_inline))
static inline void rows(const q3d_conv_geometry *g, const int16_t *input, const int16_t *weights,
                        const q3d_int_output *out, int64_t first, int64_t count, segment_function segment,
                        store_function store) {
    const q3d_tile_walk walk = q3d_make_tile_walk(g);
    const int64_t plane = g->out_depth * g->out_height * g->out_width;
    const int64_t kernel_row = g->kernel_width * g->packed_group_channels * Q3D_TILE_CHANNELS;
    int32_t acc[Q3D_SEGMENT_PIXELS * Q3D_TILE_CHANNELS];
    for (int64_t item = first; item < first + count; item++) {
        const q3d_tiled_row r = q3d_tiled_row_at(g, item);
        for (int64_t ox = 0; ox < g->out_width; ox += Q3D_SEGMENT_PIXELS) {
            const int64_t left = g->out_width - ox;
            const int pixels = left < Q3D_SEGMENT_PIXELS ? (int)left : Q3D_SEGMENT_PIXELS;
            memset(acc, 0, sizeof(int32_t) * (size_t)pixels * Q3D_TILE_CHANNELS);
            const int16_t *w = weights + r.weight_offset;
            for (int64_t tz = 0; tz < g->kernel_depth; tz++) {
                for (int64_t ty = 0; ty < g->kernel_height; ty++, w += kernel_row) {
                    const int16_t *in = input + r.input_offset + ox * walk.pixel_step + tz * walk.tap_depth
                                        + ty * walk.tap_height;
                    segment(&walk, in, w, pixels, acc);
                }
            }
            store(out, acc, pixels, r.channels, r.first_channel, r.output_offset + ox, plane);
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void rows_avx2(const q3d_conv_geometry *g, const int16_t *input, const int16_t *weights,
                      const q3d_int_output *out, int64_t first, int64_t count) {
    rows(g, input, weights, out, first, count, segment_avx2, store_avx2);
}
#endif

static void store_scalar(const q3d_int_output *out, const int32_t *acc, int pixels, int64_t channels,
                         int64_t first_channel, int64_t base, int64_t plane) {
    q3d_store_int_tile(out, acc, pixels, channels, first_channel, base, plane);
}

static void rows_scalar(const q3d_conv_geometry *g, const int16_t *input, const int16_t *weights,
                        const q3d_int_output *out, int64_t first, int64_t count) {
    rows(g, input, weights, out, first, count, segment_scalar, store_scalar);
}

void q3d_conv_tiled_i16(const q3d_conv_geometry *g, const int16_t *input, const int16_t *weights,
                        const q3d_int_output *out, int64_t first, int64_t count, int32_t isa) {
#if defined(__x86_64__) || defined(__i386__)
    if (isa == Q3D_ISA_AVX2) {
        rows_avx2(g, input, weights, out, first, count);
        return;
    }
#endif
    rows_scalar(g, input, weights, out, first, count);
}
