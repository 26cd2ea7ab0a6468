// Depthwise convolutions (one input channel per group): too little reduction per output for the
// 16-channel register tiles, so a direct loop per output channel over the packed input. The same
// code serves both instruction sets; threads split it by output rows.
#include "ccpukernels.h"
#include "output_tile.h"
#include "tile_walk.h"

// The offsets shared by both element types for output row `item` = (n, od, oh).
typedef struct depthwise_row {
    int64_t input_offset;   // packed input element of (n, od·sd, oh·sh, 0), group 0
    int64_t output_offset;  // output element (n, 0, od, oh, 0)
} depthwise_row;

static depthwise_row depthwise_row_at(const q3d_conv_geometry *g, int64_t item) {
    const int64_t oh = item % g->out_height;
    const int64_t od = (item / g->out_height) % g->out_depth;
    const int64_t n = item / (g->out_height * g->out_depth);
    const int64_t pixel = g->groups * g->packed_group_channels;
    depthwise_row row;
    row.input_offset = ((n * g->padded_depth + od * g->stride_depth) * g->padded_height + oh * g->stride_height)
                       * g->padded_width * pixel;
    row.output_offset = (n * g->out_channels * g->out_depth + od) * g->out_height * g->out_width + oh * g->out_width;
    return row;
}

// The sum over all taps of one output: `x` is its first input element, `w` its kd·kh·kw weights.
static inline int32_t dot_i16(const q3d_tile_walk *walk, const int16_t *x, const int16_t *w) {
    int32_t acc = 0;
    for (int64_t tz = 0; tz < walk->kernel_depth; tz++)
        for (int64_t ty = 0; ty < walk->kernel_height; ty++)
            for (int64_t tx = 0; tx < walk->kernel_width; tx++)
                acc += (int32_t)x[tz * walk->tap_depth + ty * walk->tap_height + tx * walk->tap_width] * (int32_t)*w++;
    return acc;
}

static inline float dot_f32(const q3d_tile_walk *walk, const float *x, const float *w) {
    float acc = 0;
    for (int64_t tz = 0; tz < walk->kernel_depth; tz++)
        for (int64_t ty = 0; ty < walk->kernel_height; ty++)
            for (int64_t tx = 0; tx < walk->kernel_width; tx++)
                acc += x[tz * walk->tap_depth + ty * walk->tap_height + tx * walk->tap_width] * *w++;
    return acc;
}

void q3d_conv_depthwise_i16(const q3d_conv_geometry *g, const int16_t *input, const int16_t *weights,
                            const q3d_int_output *out, int64_t first, int64_t count) {
    const q3d_tile_walk walk = q3d_make_tile_walk(g);
    const int64_t taps = g->kernel_depth * g->kernel_height * g->kernel_width;
    const int64_t plane = g->out_depth * g->out_height * g->out_width;
    for (int64_t item = first; item < first + count; item++) {
        const depthwise_row r = depthwise_row_at(g, item);
        for (int64_t k = 0; k < g->out_channels; k++) {
            const int16_t *row = input + r.input_offset + (k / g->group_out_channels) * g->packed_group_channels;
            const int64_t index = r.output_offset + k * plane;
            for (int64_t ox = 0; ox < g->out_width; ox++) {
                const int32_t acc = dot_i16(&walk, row + ox * walk.pixel_step, weights + k * taps);
                if (out->accumulators) out->accumulators[index + ox] = acc;
                else out->requantized[index + ox] = q3d_requantize(out, acc, k, index + ox);
            }
        }
    }
}

void q3d_conv_depthwise_f32(const q3d_conv_geometry *g, const float *input, const float *weights,
                            const q3d_float_output *out, int64_t first, int64_t count) {
    const q3d_tile_walk walk = q3d_make_tile_walk(g);
    const int64_t taps = g->kernel_depth * g->kernel_height * g->kernel_width;
    const int64_t plane = g->out_depth * g->out_height * g->out_width;
    for (int64_t item = first; item < first + count; item++) {
        const depthwise_row r = depthwise_row_at(g, item);
        for (int64_t k = 0; k < g->out_channels; k++) {
            const float *row = input + r.input_offset + (k / g->group_out_channels) * g->packed_group_channels;
            const float bias = out->bias ? out->bias[k] : 0.0f;
            float *o = out->values + r.output_offset + k * plane;
            for (int64_t ox = 0; ox < g->out_width; ox++) {
                const float v = dot_f32(&walk, row + ox * walk.pixel_step, weights + k * taps) + bias;
                o[ox] = out->relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
}
