extension ImmaKernelText {
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
