extension ImmaKernelText {
    /// A stream-K block's setup: the tile, k-tile range and columns it works on change from run to run
    /// (``ImmaWgmmaConv3DRenderer/streamKLoop(epilogue:)`` sets them).
    func streamKBlockSetup() -> String {
        """
              Q3D_SHARED(smem);
              const uint32_t ring_base = (q3d_shared_address(smem) + \(tiling.sharedAlignment - 1)) & ~\(tiling.sharedAlignment - 1)u;  // wgmma's swizzle atoms need \(tiling.sharedAlignment)-byte alignment
              const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

              // Stream-K: the block's tile and k-tiles, set per run.
              static_assert(SPLIT_K == 1, "stream-K shares out whole reductions itself");
              int m0 = 0, n0 = 0, k_begin = 0, k_count = 0;

            """
    }

    /// Waits for a flag another block raises once its partial sums are in the workspace (rendered before
    /// the kernel marker for stream-K kernels: the host emulation brings its own).
    static let flagPrelude = #"""
        // Waits until another block has raised *flag (to 1, after a threadfence that published its partial sums),
        // then lowers it for the next launch. The fence orders the caller's later reads after the flag's.
        Q3D_DEVICE void q3d_wait_flag(int* flag) {
          while (*reinterpret_cast<volatile int*>(flag) == 0) __nanosleep(64);
          __threadfence();
          *reinterpret_cast<volatile int*>(flag) = 0;
        }
        """#

    /// A persistent kernel's place in the grid: block b keeps the weights of channel tile b % N_TILES
    /// (after the stage ring, at `panel_base`) and walks m-tiles b / N_TILES, + M_STRIDE, ...; the
    /// whole reduction, no split.
    func persistentBlockSetup() -> String {
        let columns = geometry.isGrouped
            ? """
                  const int group = n_tile / N_TILES_PER_GROUP;
                  const int n0 = (n_tile - group * N_TILES_PER_GROUP) * BN;  // within the group's GROUP_K columns
                """
            : "  const int n0 = n_tile * BN;"
        return """
              Q3D_SHARED(smem);
              const uint32_t ring_base = (q3d_shared_address(smem) + \(tiling.sharedAlignment - 1)) & ~\(tiling.sharedAlignment - 1)u;  // wgmma's swizzle atoms need \(tiling.sharedAlignment)-byte alignment
              const uint32_t panel_base = ring_base + STAGES * STAGE_BYTES;
              const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

              // Persistent: this block's channel tile and first m-tile; it keeps the channel tile's weights.
              static_assert(GRID_BLOCKS % N_TILES == 0 && SPLIT_K == 1, "whole channel tiles per block, no split");
              const int n_tile = blockIdx.x % N_TILES;
            \(columns)
              int m_tile = blockIdx.x / N_TILES;
              int m0 = m_tile * BM;
              const int k_begin = 0, k_count = K_TILES;

            """
    }
}
