// How a tiled kernel walks the packed input: shared by the int16 and float kernels.
#ifndef Q3D_TILE_WALK_H
#define Q3D_TILE_WALK_H

#include "ccpukernels.h"

// Most output pixels one register tile covers along W.
#define Q3D_TILE_PIXELS 6
// Most output pixels along W whose accumulators a kernel keeps in a buffer while it walks the taps.
#define Q3D_SEGMENT_PIXELS 60

// Distances, in packed input elements, that one tile of outputs steps by.
typedef struct q3d_tile_walk {
    int64_t pixel_step;     // next output pixel along W: stride_width pixels
    int64_t tap_depth;      // next kernel tap along each axis: dilation pixels
    int64_t tap_height;
    int64_t tap_width;
    int64_t kernel_depth, kernel_height, kernel_width;
    int64_t channels;       // Cg', the reduction per tap
} q3d_tile_walk;

static inline q3d_tile_walk q3d_make_tile_walk(const q3d_conv_geometry *g) {
    const int64_t pixel = g->groups * g->packed_group_channels;
    q3d_tile_walk walk;
    walk.pixel_step = g->stride_width * pixel;
    walk.tap_depth = g->dilation_depth * g->padded_height * g->padded_width * pixel;
    walk.tap_height = g->dilation_height * g->padded_width * pixel;
    walk.tap_width = g->dilation_width * pixel;
    walk.kernel_depth = g->kernel_depth;
    walk.kernel_height = g->kernel_height;
    walk.kernel_width = g->kernel_width;
    walk.channels = g->packed_group_channels;
    return walk;
}

// One work item of a tiled kernel: output row (n, group, tile, od, oh), decoded from its index.
typedef struct q3d_tiled_row {
    int64_t input_offset;   // packed input element of the first tap of output (od, oh, 0)
    int64_t weight_offset;  // first packed weight of (group, tile)
    int64_t output_offset;  // output element (n, first channel, od, oh, 0)
    int64_t first_channel;  // first output channel of the tile
    int64_t channels;       // real output channels in the tile, at most Q3D_TILE_CHANNELS
} q3d_tiled_row;

static inline q3d_tiled_row q3d_tiled_row_at(const q3d_conv_geometry *g, int64_t item) {
    const int64_t tiles = (g->group_out_channels + Q3D_TILE_CHANNELS - 1) / Q3D_TILE_CHANNELS;
    const int64_t oh = item % g->out_height;
    int64_t rest = item / g->out_height;
    const int64_t od = rest % g->out_depth;
    rest /= g->out_depth;
    const int64_t tile = rest % tiles;
    rest /= tiles;
    const int64_t group = rest % g->groups;
    const int64_t n = rest / g->groups;
    const int64_t pixel = g->groups * g->packed_group_channels;
    const int64_t taps = g->kernel_depth * g->kernel_height * g->kernel_width;
    q3d_tiled_row row;
    row.first_channel = group * g->group_out_channels + tile * Q3D_TILE_CHANNELS;
    const int64_t left = g->group_out_channels - tile * Q3D_TILE_CHANNELS;
    row.channels = left < Q3D_TILE_CHANNELS ? left : Q3D_TILE_CHANNELS;
    row.input_offset = ((n * g->padded_depth + od * g->stride_depth) * g->padded_height + oh * g->stride_height)
                           * g->padded_width * pixel
                       + group * g->packed_group_channels;
    row.weight_offset = (group * tiles + tile) * taps * g->packed_group_channels * Q3D_TILE_CHANNELS;
    row.output_offset = ((n * g->out_channels + row.first_channel) * g->out_depth + od) * g->out_height * g->out_width
                        + oh * g->out_width;
    return row;
}

#endif
