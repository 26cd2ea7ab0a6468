// How the kernels' work is cut into items that threads take independently.
#include "ccpukernels.h"

int64_t q3d_tiled_items(const q3d_conv_geometry *g) {
    const int64_t tiles = (g->group_out_channels + Q3D_TILE_CHANNELS - 1) / Q3D_TILE_CHANNELS;
    return g->batch * g->groups * tiles * g->out_depth * g->out_height;
}

int64_t q3d_depthwise_items(const q3d_conv_geometry *g) {
    return g->batch * g->out_depth * g->out_height;
}
