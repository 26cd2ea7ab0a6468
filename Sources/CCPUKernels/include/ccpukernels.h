// The C half of Q3D's CPU convolution: feature detection, packing and the inner loops, which need
// `immintrin.h` intrinsics that Swift's SIMD types do not reliably lower to. Everything here is
// called from the Swift target `CPUKernels`, which validates shapes before any pointer reaches C;
// these functions check nothing.
//
// Layouts (the letters are those of ConvGeometry's Conv3DParameters):
// - packed input: channels-last with the convolution's zero padding materialised,
//   [N, Dp, Hp, Wp, g, Cg'] where Dp = D + front + back (likewise Hp, Wp) and Cg' is C/g rounded up
//   to the kernel's channel alignment (2 for int16 pairs, 1 otherwise), extra channels zero.
// - tiled weights: [g, ceil((K/g)/16), kd·kh·kw, Cg', 16] for float and
//   [g, ceil((K/g)/16), kd·kh·kw, Cg'/2, 16, 2] for int16, output channels past K/g zero.
// - depthwise weights: [K, kd·kh·kw].
// - outputs: [N, K, Do, Ho, Wo] (NCDHW), the residual likewise.
#ifndef CCPUKERNELS_H
#define CCPUKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What the running CPU offers, as `q3d doctor` reports it.
typedef struct q3d_cpu_features {
    /// Cores this process may run on (its affinity mask), at least 1.
    int32_t active_cores;
    int32_t avx2;
    int32_t fma;
    int32_t avx512f;
    int32_t avx512vnni;
    int32_t avxvnni;
} q3d_cpu_features;

q3d_cpu_features q3d_detect_cpu_features(void);

/// Instruction sets a kernel can be asked to use.
#define Q3D_ISA_SCALAR 0
#define Q3D_ISA_AVX2 1

/// Output channels computed together by one tile of the tiled kernels.
#define Q3D_TILE_CHANNELS 16

/// The shape of one convolution as the C kernels see it: the input as given, its padded and packed
/// copy, the weights and the output.
typedef struct q3d_conv_geometry {
    int64_t batch;
    int64_t groups;
    /// C/g as given.
    int64_t group_channels;
    /// C/g in the packed input and tiled weights, rounded up to the kernel's channel alignment (Cg').
    int64_t packed_group_channels;
    int64_t out_channels;
    int64_t group_out_channels;
    int64_t depth, height, width;
    int64_t pad_front, pad_top, pad_left;
    int64_t padded_depth, padded_height, padded_width;
    int64_t out_depth, out_height, out_width;
    int64_t kernel_depth, kernel_height, kernel_width;
    int64_t stride_depth, stride_height, stride_width;
    int64_t dilation_depth, dilation_height, dilation_width;
} q3d_conv_geometry;

/// Where an integer convolution writes: int32 accumulators to `accumulators`, or, when that is null,
/// int8 values requantized exactly as ConvGeometry's `Epilogue.apply` does to `requantized`.
typedef struct q3d_int_output {
    int32_t *accumulators;
    int8_t *requantized;
    /// Per output channel, K values each (epilogue only).
    const float *scale;
    const float *bias;
    /// Shaped like the output, or null for none.
    const int8_t *residual;
    float residual_scale;
    int32_t relu;
} q3d_int_output;

/// Where a float convolution writes, with an optional per-channel bias (null for none) and ReLU.
typedef struct q3d_float_output {
    float *values;
    const float *bias;
    int32_t relu;
} q3d_float_output;

// Packing. The input functions write destination planes (n, dp) `first ..< first + count` of
// `0 ..< N·Dp` completely, padding included, so callers can split the copy over threads and need not
// initialise the destination. The weight functions write only real weights into a zero-filled
// destination.
void q3d_pack_input_i8(const q3d_conv_geometry *geometry, const int8_t *src, int16_t *dst,
                       int64_t first, int64_t count);
void q3d_pack_input_f32(const q3d_conv_geometry *geometry, const float *src, float *dst,
                        int64_t first, int64_t count);
/// Packs OIDHW weights [K, C/g, kd, kh, kw] into the tiled layout.
void q3d_pack_weights_tiled_i8(const q3d_conv_geometry *geometry, const int8_t *src, int16_t *dst);
void q3d_pack_weights_tiled_f32(const q3d_conv_geometry *geometry, const float *src, float *dst);
/// Element count of the tiled weight layout.
int64_t q3d_tiled_weights_count(const q3d_conv_geometry *geometry);

/// Work items of the tiled kernels: one output row (n, group, channel tile, od, oh) each.
int64_t q3d_tiled_items(const q3d_conv_geometry *geometry);
/// Work items of the depthwise kernels: one output row (n, od, oh) each, over all channels.
int64_t q3d_depthwise_items(const q3d_conv_geometry *geometry);

// Convolutions over work items `first ..< first + count`; distinct items write distinct outputs.
void q3d_conv_tiled_i16(const q3d_conv_geometry *geometry, const int16_t *input, const int16_t *weights,
                        const q3d_int_output *output, int64_t first, int64_t count, int32_t isa);
void q3d_conv_tiled_f32(const q3d_conv_geometry *geometry, const float *input, const float *weights,
                        const q3d_float_output *output, int64_t first, int64_t count, int32_t isa);
void q3d_conv_depthwise_i16(const q3d_conv_geometry *geometry, const int16_t *input, const int16_t *weights,
                            const q3d_int_output *output, int64_t first, int64_t count);
void q3d_conv_depthwise_f32(const q3d_conv_geometry *geometry, const float *input, const float *weights,
                            const q3d_float_output *output, int64_t first, int64_t count);

#ifdef __cplusplus
}
#endif

#endif
