// Packing of activations and weights into the layouts the kernels read (see ccpukernels.h).
#include <string.h>

#include "ccpukernels.h"

// Input packing works on destination planes (n, dp), dp in 0 ..< Dp: the whole plane is zeroed
// (padding, and channels past C/g), then source plane d = dp - front, if there is one, is copied in.
// Reads run along W, contiguous in the NCDHW source; writes stride by the packed pixel.

static int64_t packed_plane_size(const q3d_conv_geometry *g) {
    return g->padded_height * g->padded_width * g->groups * g->packed_group_channels;
}

// The source plane of destination plane `plane` as n·C·D + d (the index of (n, 0, d) over planes of
// H·W), or -1 when the plane is depth padding.
static int64_t source_plane(const q3d_conv_geometry *g, int64_t plane) {
    const int64_t n = plane / g->padded_depth, d = plane % g->padded_depth - g->pad_front;
    if (d < 0 || d >= g->depth) return -1;
    return n * g->groups * g->group_channels * g->depth + d;
}

// Offset in a destination plane of row h of input channel c.
static int64_t packed_row(const q3d_conv_geometry *g, int64_t c, int64_t h) {
    const int64_t pixel = g->groups * g->packed_group_channels;
    const int64_t channel = (c / g->group_channels) * g->packed_group_channels + c % g->group_channels;
    return ((h + g->pad_top) * g->padded_width + g->pad_left) * pixel + channel;
}

void q3d_pack_input_i8(const q3d_conv_geometry *g, const int8_t *src, int16_t *dst, int64_t first, int64_t count) {
    const int64_t channels = g->groups * g->group_channels, pixel = g->groups * g->packed_group_channels;
    for (int64_t plane = first; plane < first + count; plane++) {
        int16_t *o = dst + plane * packed_plane_size(g);
        memset(o, 0, sizeof *o * (size_t)packed_plane_size(g));
        const int64_t source = source_plane(g, plane);
        if (source < 0) continue;
        for (int64_t c = 0; c < channels; c++) {
            for (int64_t h = 0; h < g->height; h++) {
                const int8_t *s = src + ((source + c * g->depth) * g->height + h) * g->width;
                int16_t *row = o + packed_row(g, c, h);
                for (int64_t w = 0; w < g->width; w++) row[w * pixel] = s[w];
            }
        }
    }
}

void q3d_pack_input_f32(const q3d_conv_geometry *g, const float *src, float *dst, int64_t first, int64_t count) {
    const int64_t channels = g->groups * g->group_channels, pixel = g->groups * g->packed_group_channels;
    for (int64_t plane = first; plane < first + count; plane++) {
        float *o = dst + plane * packed_plane_size(g);
        memset(o, 0, sizeof *o * (size_t)packed_plane_size(g));
        const int64_t source = source_plane(g, plane);
        if (source < 0) continue;
        for (int64_t c = 0; c < channels; c++) {
            for (int64_t h = 0; h < g->height; h++) {
                const float *s = src + ((source + c * g->depth) * g->height + h) * g->width;
                float *row = o + packed_row(g, c, h);
                for (int64_t w = 0; w < g->width; w++) row[w * pixel] = s[w];
            }
        }
    }
}

static int64_t channel_tiles(const q3d_conv_geometry *g) {
    return (g->group_out_channels + Q3D_TILE_CHANNELS - 1) / Q3D_TILE_CHANNELS;
}

int64_t q3d_tiled_weights_count(const q3d_conv_geometry *g) {
    return g->groups * channel_tiles(g) * g->kernel_depth * g->kernel_height * g->kernel_width
           * g->packed_group_channels * Q3D_TILE_CHANNELS;
}

// Tiled index of weight (k, c, tap). With `pairs`, channels c and c+1 sit side by side under each
// output channel ([..., Cg'/2, 16, 2]), the operand order of vpmaddwd; otherwise [..., Cg', 16].
static int64_t tiled_index(const q3d_conv_geometry *g, int64_t k, int64_t c, int64_t tap, int pairs) {
    const int64_t taps = g->kernel_depth * g->kernel_height * g->kernel_width;
    const int64_t group = k / g->group_out_channels, kg = k % g->group_out_channels;
    const int64_t tile = kg / Q3D_TILE_CHANNELS, lane = kg % Q3D_TILE_CHANNELS;
    const int64_t panel = ((group * channel_tiles(g) + tile) * taps + tap) * g->packed_group_channels;
    if (pairs) return (panel + (c & ~(int64_t)1)) * Q3D_TILE_CHANNELS + lane * 2 + (c & 1);
    return (panel + c) * Q3D_TILE_CHANNELS + lane;
}

void q3d_pack_weights_tiled_i8(const q3d_conv_geometry *g, const int8_t *src, int16_t *dst) {
    const int64_t taps = g->kernel_depth * g->kernel_height * g->kernel_width;
    for (int64_t k = 0; k < g->out_channels; k++)
        for (int64_t c = 0; c < g->group_channels; c++)
            for (int64_t tap = 0; tap < taps; tap++)
                dst[tiled_index(g, k, c, tap, 1)] = src[(k * g->group_channels + c) * taps + tap];
}

void q3d_pack_weights_tiled_f32(const q3d_conv_geometry *g, const float *src, float *dst) {
    const int64_t taps = g->kernel_depth * g->kernel_height * g->kernel_width;
    for (int64_t k = 0; k < g->out_channels; k++)
        for (int64_t c = 0; c < g->group_channels; c++)
            for (int64_t tap = 0; tap < taps; tap++)
                dst[tiled_index(g, k, c, tap, 0)] = src[(k * g->group_channels + c) * taps + tap];
}
