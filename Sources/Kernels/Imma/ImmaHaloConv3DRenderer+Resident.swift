/// The halo kernel with resident weights (``ImmaHaloConv3DConfig/resident`` 1): a persistent grid whose
/// blocks copy every (channel block, tap) weight tile of their n-tile into shared memory once; each
/// warpgroup then walks boxes of its own with two halo buffers — the next channel block's (or the next
/// box's) halo copies while the current one is multiplied — and synchronizes only its own 128 threads,
/// once per channel block, with a named barrier. A warpgroup's epilogue runs while the others multiply.
extension ImmaHaloConv3DRenderer {
    /// The named barrier of one warpgroup (ids 1 ..< 1 + WARPGROUPS; 0 is `__syncthreads`), rendered
    /// before the kernel marker: the host emulation brings its own.
    static let warpgroupBarrier = #"""
        // Waits until the 128 threads of the calling warpgroup have arrived at barrier `id` (bar.sync with a thread
        // count: only that warpgroup's warps take part), ordering their shared-memory accesses around it.
        Q3D_DEVICE void q3d_warpgroup_barrier(int id) { asm volatile("bar.sync %0, 128;" :: "r"(id) : "memory"); }
        """#

    func residentConstants() -> String {
        """
        // Warpgroups: each multiplies a box of its own, BM rows as MB tiles of 64 x BN.
        constexpr int WARPGROUPS = \(config.warpgroups), WGM = BM, MB = WGM / 64, NB = BN / 8;
        static_assert(THREADS == 128 * WARPGROUPS && WGM % 64 == 0, "64-row wgmma tiles per warpgroup");
        // Shared memory: every step's weight tile (step s = (channel block, tap) at s * W_BYTES, BN rows x CB bytes)
        // from the 1024-byte aligned base, then two halos of HALO_PIXELS rows x CB bytes per warpgroup.
        constexpr int W_BYTES = BN * CB, HALO_BYTES = HALO_PIXELS * CB, HALO_BUFFERS = 2 * WARPGROUPS;
        static_assert(ITERS * W_BYTES + HALO_BUFFERS * HALO_BYTES + 1024 == \(plan.sharedBytes), "the launch's dynamic shared memory");
        // Persistent grid: block b keeps the weights of n-tile b % N_TILES; its warpgroup w walks boxes
        // (b / N_TILES) * WARPGROUPS + w, then BOX_STRIDE further each time.
        constexpr int BOXES = BATCH * BOXES_Z * BOXES_Y * BOXES_X, GRID_BLOCKS = \(plan.blocks);
        constexpr int BOX_STRIDE = GRID_BLOCKS / N_TILES * WARPGROUPS;
        static_assert(GRID_BLOCKS % N_TILES == 0, "whole n-tiles per block");

        """
    }

    func residentBlockSetup() -> String {
        """
              Q3D_SHARED(smem);
              const uint32_t ring_base = (q3d_shared_address(smem) + 1023) & ~1023u;  // wgmma's swizzle atoms need 1024-byte alignment
              const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warpgroup = warp >> 2, wg_tid = tid & 127;
              const uint32_t halo_base = ring_base + ITERS * W_BYTES + warpgroup * 2 * HALO_BYTES;  // this warpgroup's two halos
              const int n0 = (blockIdx.x % N_TILES) * BN;
              const int frag_row0 = (warp & 3) * 16, frag_col0 = 0;
              // Box b's image and output origin.
              auto box_origin = [](int b, int& image, int& z0, int& y0, int& x0) {
                x0 = (b % BOXES_X) * TX;
                y0 = ((b / BOXES_X) % BOXES_Y) * TY;
                z0 = ((b / (BOXES_X * BOXES_Y)) % BOXES_Z) * TZ;
                image = b / (BOXES_X * BOXES_Y * BOXES_Z);
              };
              int image = 0, z0 = 0, y0 = 0, x0 = 0;  // the box being multiplied

            """ + Self.rowPixel
    }

    func residentLoaders() -> String {
        """
              // Halo loader: load_halo(b, cb, buffer) copies channel block cb of box b's halo into this warpgroup's halo
              // buffer `buffer`, the warpgroup's 128 threads taking pieces wg_tid, wg_tid + 128, ...
              constexpr int PER_PIXEL = CB / VEC, HALO_PIECES = HALO_PIXELS * PER_PIXEL;
              constexpr int HALO_ITERS = (HALO_PIECES + 127) / 128;
              auto load_halo = [&](int b, int cb, int buffer) {
                int b_image, bz, by, bx;
                box_origin(b, b_image, bz, by, bx);
                const int8_t* b_input = input + b_image * (IN_D * IN_H * IN_W * IN_PITCH);
                const uint32_t halo = halo_base + buffer * HALO_BYTES;
            \(haloCopies(first: "0", last: "HALO_ITERS", thread: "wg_tid", threads: "128", origin: ("bz", "by", "bx"), input: "b_input"))  };

              // Weights: every step's BN x CB tile of filters n0.. at reduction bytes tap * IN_PITCH + cb * CB.., copied
              // once by the whole block; filters past OUT_PITCH and channels past IN_PITCH read nothing (zeros).
              constexpr int W_PER_ROW = CB / VEC, W_TILE_PIECES = BN * W_PER_ROW;
              auto load_all_weights = [&]() {
                for (int q = tid; q < ITERS * W_TILE_PIECES; q += THREADS) {
                  const int step = q / W_TILE_PIECES, piece = q - step * W_TILE_PIECES;
                  const int row = piece / W_PER_ROW, byte = (piece - row * W_PER_ROW) * VEC;
                  const int cb = step / TAPS, tap = step - cb * TAPS, n = n0 + row, channel = cb * CB + byte;
                  const bool inside = n < OUT_PITCH && channel < IN_PITCH;
                  const int8_t* src = weight + (inside ? n * GEMM_K + tap * IN_PITCH + channel : 0);
                  q3d_cp_async<VEC>(ring_base + step * W_BYTES + q3d_swizzle(row, byte), src, inside ? VEC : 0);
                }
              };

            """ + fragmentRows()
    }

    /// One step of a box: its `wgmma` on `current`; at a channel block's first tap the next halo's copies;
    /// at its last the warpgroup's barrier; then the next step's fragments into `next`.
    func residentStep(_ step: String, current: String, next: String) -> String {
        """
                {
                  const int cb = (\(step)) / TAPS, tap = (\(step)) - cb * TAPS;
                  const uint32_t w_tile = ring_base + (\(step)) * W_BYTES;
            \(issue(current))      if (tap == 0) {
                    // The next channel block's halo, or the next box's first, into the other buffer: the warpgroup finished
                    // reading it before the barrier that ended the previous channel block.
                    const int next_box = cb + 1 < C_BLOCKS ? box : box + BOX_STRIDE;
                    if (next_box < BOXES) load_halo(next_box, cb + 1 < C_BLOCKS ? cb + 1 : 0, (box_buffer + cb + 1) & 1);
                    q3d_cp_async_commit();
                  }
                  if (tap == TAPS - 1) {
                    // The channel block ends: the next halo has landed for every thread of the warpgroup, and none of them
                    // reads this block's buffer any more (its last fragments were loaded a step ago).
                    q3d_cp_async_wait<0>();
                    q3d_warpgroup_barrier(1 + warpgroup);
                  }
                  // The previous step's wgmma are done: their A registers (`\(next)`) are free.
                  q3d_wgmma_wait<1>();
                  if ((\(step)) + 1 < ITERS)
            \(fragmentLoad(step: "(\(step)) + 1", into: next, indent: 6))    }

            """
    }

    /// The block's life: the weights and each warpgroup's first halo, one block-wide barrier; then per box
    /// of the warpgroup its steps (unrolled by two for the double-buffered fragments) and its epilogue.
    func residentMainLoop(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        return """
              int acc[MB][NB][4];
              uint32_t frag0[KS][MB][4], frag1[KS][MB][4];
              int box = (blockIdx.x / N_TILES) * WARPGROUPS + warpgroup;
              // Prologue: all of the block's weights and each warpgroup's first halo; the proxy fence hands the weights
              // to wgmma's async proxy, the barrier makes every thread's copies visible to all.
              load_all_weights();
              if (box < BOXES) load_halo(box, 0, 0);
              q3d_cp_async_commit();
              q3d_cp_async_wait<0>();
              q3d_fence_proxy_async();
              __syncthreads();
              int box_buffer = 0;  // the halo buffer of the box's first channel block
              for (; box < BOXES; box += BOX_STRIDE) {
                box_origin(box, image, z0, y0, x0);
            \(ImmaKernelText.eachAccumulator("acc[mb][j][r] = 0;", indent: 4))\(fragmentLoad(step: "0", into: "frag0", indent: 4))    for (int it = 0; it < ITERS; it += 2) {
            \(indented(residentStep("it", current: "frag0", next: "frag1")))      if (it + 1 < ITERS)
            \(indented(residentStep("it + 1", current: "frag1", next: "frag0")))    }
                q3d_wgmma_wait<0>();
            \(ImmaKernelText.eachAccumulator("q3d_register_fence(acc[mb][j][r]);", indent: 4))    box_buffer = (box_buffer + C_BLOCKS) & 1;
                {

            """ + indented(indented(epilogue)) + """
                }
              }

            """
    }
}
