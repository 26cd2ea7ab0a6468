/// Renders one `wgmma` imma kernel: the shared parts of ``ImmaKernelText`` around a main loop that
/// hands each k-tile's swizzled A and B tiles to `wgmma.mma_async` through matrix descriptors.
struct ImmaWgmmaConv3DRenderer {
    let config: ImmaWgmmaConv3DConfig
    let tiling: ImmaTiling
    let output: OutputKind
    /// int32 accumulators of `wgmma ... k32.s32.s8.s8`, or float ones of `k16.f32.f16.f16` for the fp16
    /// template (``HmmaWgmmaConv3DTemplate``), which multiplies the same bytes: a 16-element fp16 k-step
    /// is a 32-byte row slice, as a 32-element int8 one.
    var accumulator: MmaAccumulator = .s32

    var text: ImmaKernelText {
        ImmaKernelText(
            tiling: tiling, output: output, template: ImmaWgmmaConv3DTemplate.name,
            version: ImmaWgmmaConv3DTemplate.version, configJSON: config.json)
    }

    func render() -> KernelSource {
        let text = self.text
        let parameters = text.parameters
        let name = text.kernelName(prefix: "imma_wgmma_conv3d")
        var source = text.header(summary: "int8 implicit-GEMM conv3d, wgmma m64n\(config.blockN)k32 (sm_90a), cp.async pipeline", parameters: parameters)
        source += "\n" + ImmaKernelText.prelude + "\n" + Self.wgmmaPrelude + "\n" + wgmmaInstruction()
        if tiling.stagedOutput { source += "\n" + ImmaKernelText.vectorPrelude + "\n" }
        if tiling.streamKBlocks != nil { source += "\n" + ImmaKernelText.flagPrelude + "\n" }
        if tiling.warpSpecialized { source += "\n" + Self.handoffPrelude + "\n" }
        source += "\n" + ImmaKernelText.kernelMarker + "\n"
        source += text.constants() + warpgroupConstants() + "\n"
        source += text.signature(name: name, parameters: parameters, minBlocks: config.minBlocks)
        if tiling.warpSpecialized {
            let setup = tiling.residentWeights
                ? text.persistentBlockSetup() : (tiling.streamKBlocks != nil ? text.streamKBlockSetup() : text.blockSetup())
            source += setup + warpgroupSetup()
            source += warpSpecializedBody(epilogue: text.epilogue()) + "}\n"
        } else if tiling.residentWeights {
            source += text.persistentBlockSetup() + warpgroupSetup() + text.loaders() + persistentLoop(epilogue: text.epilogue()) + "}\n"
        } else if tiling.streamKBlocks != nil {
            source += text.streamKBlockSetup() + warpgroupSetup() + text.loaders() + streamKLoop(epilogue: text.epilogue()) + "}\n"
        } else {
            source += text.blockSetup() + warpgroupSetup() + text.loaders() + mainLoop()
            source += text.splitKExchange() + text.epilogue() + "}\n"
        }
        return KernelSource(
            template: ImmaWgmmaConv3DTemplate.name, templateVersion: ImmaWgmmaConv3DTemplate.version, name: name,
            text: source, grid: tiling.grid, block: tiling.block, dynamicSharedBytes: tiling.sharedBytes,
            staticSharedBytes: 0, parameters: parameters)
    }

    /// The fences and group operations around `wgmma` (PTX ISA, "Asynchronous Warpgroup Level Matrix
    /// Multiply-Accumulate"), each a thin `asm` wrapper.
    static let wgmmaPrelude = #"""
        // Makes this thread's shared-memory writes (its landed cp.async copies) visible to the async proxy,
        // through which wgmma reads shared memory; each writer fences before the barrier that precedes wgmma.
        Q3D_DEVICE void q3d_fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }
        // Orders earlier accesses of the accumulator registers before the wgmma that reads and writes them.
        Q3D_DEVICE void q3d_wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
        Q3D_DEVICE void q3d_wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
        // Waits until at most N of the warpgroup's committed wgmma groups are pending.
        template <int N>
        Q3D_DEVICE void q3d_wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory"); }
        // Ties a register to this point of the program: the compiler may not move its uses across it (the
        // accumulators change under an asynchronous wgmma, which the compiler does not see).
        Q3D_DEVICE void q3d_register_fence(int& r) { asm volatile("" : "+r"(r) :: "memory"); }
        """#

    /// The register fence for float accumulators (the fp16 template adds it to ``wgmmaPrelude``).
    static let floatRegisterFence = #"""
        Q3D_DEVICE void q3d_register_fence(float& r) { asm volatile("" : "+f"(r) :: "memory"); }
        """#

    /// `q3d_wgmma(d, desc_a, desc_b)`: one `wgmma.mma_async.m64n<BN>k32.s32.s8.s8` (or, with float
    /// accumulators, `m64n<BN>k16.f32.f16.f16`) accumulating into `d[BN / 8][4]`, whose register list
    /// the instruction spells out.
    func wgmmaInstruction() -> String {
        let n = config.blockN
        let isFloat = accumulator == .f32
        // fp16 operands take immediate scales of A and B (1: not negated) and transposes (0: K-major).
        let (shape, operands, immediates) = isFloat ? ("k16.f32.f16.f16", " fp16", ", 1, 1, 0, 0") : ("k32.s32.s8.s8", "", "")
        let k = isFloat ? 16 : 32
        let header = [
            "// d += A * B: A 64 x \(k)\(operands) (K-major, at desc_a), B \(n) x \(k) (K-major: column n of B is row n, at desc_b).",
            "// With g = lane / 4, t = lane % 4, d[j][r] is row 16 (warp % 4) + g + 8 (r / 2), column 8 j + 2 t + r % 2",
            "// of the 64 x \(n) tile. scale-d = 1: accumulate onto d.",
            "Q3D_DEVICE void q3d_wgmma(\(accumulator.type) (&d)[\(n / 8)][4], unsigned long long desc_a, unsigned long long desc_b) {",
        ]
        let statement = WgmmaInstructionText.statement(
            blockN: n, constraint: isFloat ? "+f" : "+r", shape: shape, inputs: ["\"l\"(desc_a)", "\"l\"(desc_b)"],
            operands: { "%\($0), %\($0 + 1)" }, suffix: immediates)
        return (header + statement + ["}"]).joined(separator: "\n") + "\n"
    }

    func warpgroupConstants() -> String {
        let mode = tiling.blockK == 128 ? 1 : (tiling.blockK == 64 ? 2 : 3)
        return """
            // Warpgroups: WARPGROUPS x 4 warps; warpgroup w multiplies rows w * WGM ..< (w + 1) * WGM of the tile as MB
            // wgmma tiles of 64 x BN. The accumulators acc[FRAG_ROWS][FRAG_COLS][4] of a thread: fragment (mb, j) is
            // the 16 x 8 piece at row frag_row0 + 64 mb, column 8 j of the block tile.
            constexpr int WARPGROUPS = \(config.warpgroups), WGM = BM / WARPGROUPS, MB = WGM / 64, NB = BN / 8;
            static_assert(THREADS == 128 * \(tiling.warpSpecialized ? "(WARPGROUPS + 1)" : "WARPGROUPS") && WGM % 64 == 0, "64-row wgmma tiles per warpgroup");\(specializedConstants())
            constexpr int FRAG_ROWS = MB, FRAG_COLS = NB, FRAG_ROW_STEP = 64;
            // wgmma groups left running across an iteration, and the k-tiles loaded ahead: a stage is refilled only
            // once the operations of the k-tile it held have been waited for.
            constexpr int IN_FLIGHT = \(config.wgmmaInFlight), PREFETCH = STAGES - 1 - IN_FLIGHT;
            static_assert(PREFETCH >= 1, "a stage to load into");

            // A wgmma shared-memory matrix descriptor (PTX ISA, "Matrix Descriptor Format"): bits 0-13 hold the start
            // address >> 4; 16-29 the leading byte offset >> 4 (unused by swizzled K-major layouts whose k-step fits
            // in a row: 1); 32-45 the stride byte offset >> 4, from one 8-row core-matrix group to the next: 8 rows
            // of BK bytes; 49-51 the base offset, 0 as every tile starts on a swizzle atom (8 rows of BK bytes); 62-63
            // the swizzle: 1 = 128-byte, 2 = 64-byte, 3 = 32-byte, the row width BK. A k-step ks starts 32 ks bytes
            // into the rows; the hardware applies the XOR to the address bits, as q3d_tile_offset did when storing.
            constexpr unsigned long long SWIZZLE_MODE = \(mode);
            Q3D_DEVICE unsigned long long q3d_wgmma_descriptor(uint32_t address) {
              return (unsigned long long)((address & 0x3FFFF) >> 4) | (1ull << 16)
                  | ((unsigned long long)((8 * BK) >> 4) << 32) | (SWIZZLE_MODE << 62);
            }

            """
    }

    func warpgroupSetup() -> String {
        """
              const int warpgroup = warp >> 2;
              const int frag_row0 = warpgroup * WGM + (warp & 3) * 16, frag_col0 = 0;

            """
    }

    /// The main loop: wait for a k-tile, fence it for the async proxy, refill the stage whose `wgmma`
    /// was waited for, then issue every k-step's `wgmma` for the warpgroup's 64-row tiles and wait until
    /// at most IN_FLIGHT groups run; after the loop, wait for all.
    func mainLoop() -> String {
        """
              \(accumulator.type) acc[MB][NB][4];
            \(ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: 2))
            """ + text.prologue(depth: "PREFETCH") + kLoop(weights: "ring_base + read_stage * STAGE_BYTES + A_BYTES")
    }

    /// The loop over the block's k-tiles (and the drain after it), with the B tile of k-tile t at
    /// `weights`: in the stage, or in the resident panel.
    func kLoop(weights: String) -> String {
        """
              int read_stage = 0, write_stage = PREFETCH;
              for (int t = 0; t < k_count; ++t) {
                // k-tile t has landed for this thread once at most PREFETCH - 1 younger groups are pending; the proxy
                // fence hands its bytes to wgmma's async proxy, the barrier waits for every thread's and tells all
                // warpgroups that write_stage (the k-tile t - 1 - IN_FLIGHT's, whose wgmma has been waited for) is free.
                q3d_cp_async_wait<PREFETCH - 1>();
                q3d_fence_proxy_async();
                __syncthreads();
                if (t + PREFETCH < k_count) load_tile(k_begin + t + PREFETCH, write_stage);
                q3d_cp_async_commit();

            \(multiplyKTile(stage: "read_stage", weights: weights))
                read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
                write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
              }
              q3d_wgmma_wait<0>();
            \(ImmaKernelText.eachAccumulator("q3d_register_fence(acc[mb][j][r]);", indent: 2))  q3d_cp_async_wait<0>();

            """
    }

    /// A warp-specialized kernel's constants: its producer warpgroup (the last, after the WARPGROUPS that
    /// multiply) and where its mbarriers are.
    func specializedConstants() -> String {
        guard tiling.warpSpecialized else { return "" }
        return """

            // Warp specialization: the last warpgroup (LOADERS threads) copies, the CONSUMERS threads before it multiply.
            constexpr int CONSUMERS = 128 * WARPGROUPS, LOADERS = 128, CONSUMER_WARPS = 4 * WARPGROUPS;
            constexpr int BARRIER_OFFSET = \(tiling.barrierOffset);  // from ring_base: full[STAGES], then empty[STAGES], 8 bytes each
            """
    }

    /// The mbarrier instructions (PTX ISA, "Parallel Synchronization and Communication Instructions:
    /// mbarrier") and the named barrier of a warp-specialized kernel, each a thin `asm` wrapper.
    static let handoffPrelude = #"""
        // An mbarrier is 8 bytes of shared memory counting arrivals; a phase completes when `count` have arrived,
        // and the next begins.
        Q3D_DEVICE void q3d_mbarrier_init(uint32_t bar, int count) {
          asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" :: "r"(bar), "r"(count) : "memory");
        }
        Q3D_DEVICE void q3d_mbarrier_arrive(uint32_t bar) {
          asm volatile("{ .reg .b64 state; mbarrier.arrive.shared::cta.b64 state, [%0]; }" :: "r"(bar) : "memory");
        }
        // Arrives on bar once every cp.async this thread issued before has landed. .noinc: the arrival is one of
        // the count the barrier was initialized with.
        Q3D_DEVICE void q3d_cp_async_mbarrier_arrive(uint32_t bar) {
          asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" :: "r"(bar) : "memory");
        }
        // Waits until the phase of bar with parity `parity` (0 for phases 0, 2, ...; 1 for 1, 3, ...) has completed.
        Q3D_DEVICE void q3d_mbarrier_wait(uint32_t bar, int parity) {
          uint32_t done;
          do {
            asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }"
                         : "=r"(done) : "r"(bar), "r"(parity) : "memory");
          } while (!done);
        }
        // bar.sync among `count` threads (a multiple of 32) at barrier `id` (1-15; 0 is __syncthreads').
        Q3D_DEVICE void q3d_named_barrier(int id, int count) { asm volatile("bar.sync %0, %1;" :: "r"(id), "r"(count) : "memory"); }
        // Waits until every cp.async this thread issued has landed.
        Q3D_DEVICE void q3d_cp_async_wait_all() { asm volatile("cp.async.wait_all;" ::: "memory"); }
        """#

    /// A warp-specialized block: thread 0 sets up the mbarriers, then the producer warpgroup copies every
    /// k-tile of the block's work (one tile, a persistent block's m-tiles, or a stream-K block's runs)
    /// into the ring, and the consumer warpgroups multiply them and finish each tile or run. The block's
    /// k-tile number `step` (counted over all its work) goes to stage step % STAGES in phase
    /// step / STAGES of its two barriers: `full` once the producer's copies have landed, `empty` once
    /// every consumer warp has waited for the operations that read it. Nothing waits at a block-wide
    /// barrier after the setup; the producer runs up to STAGES k-tiles ahead, into the next tile while
    /// the consumers store this one.
    func warpSpecializedBody(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        let persistent = tiling.residentWeights, streamK = tiling.streamKBlocks != nil
        let weights = persistent ? "panel_base + (k_begin + t) * B_BYTES" : "ring_base + stage * STAGE_BYTES + A_BYTES"
        let producerLoop = """
              for (int t = 0; t < k_count; ++t, ++step) {
                const int stage = step % STAGES;
                // The stage's previous k-tile (phase step / STAGES - 1 of its empty barrier) must be done with.
                if (step >= STAGES) q3d_mbarrier_wait(empty_barriers + 8 * stage, (step / STAGES - 1) & 1);
                load_tile(k_begin + t, stage);
                q3d_cp_async_mbarrier_arrive(full_barriers + 8 * stage);
              }
            """
        let consumerLoop = """
              for (int t = 0; t < k_count; ++t, ++step) {
                const int stage = step % STAGES;
                q3d_mbarrier_wait(full_barriers + 8 * stage, (step / STAGES) & 1);
                // The producer's copies, seen through the barrier, handed to wgmma's async proxy.
                q3d_fence_proxy_async();
            \(multiplyKTile(stage: "stage", weights: weights))
                // k-tile t - IN_FLIGHT's operations are done: its stage may be refilled.
                if (t >= IN_FLIGHT && lane == 0) q3d_mbarrier_arrive(empty_barriers + 8 * ((step - IN_FLIGHT) % STAGES));
              }
              q3d_wgmma_wait<0>();
            \(ImmaKernelText.eachAccumulator("q3d_register_fence(acc[mb][j][r]);", indent: 2))  // The last IN_FLIGHT k-tiles' stages.
              for (int i = IN_FLIGHT < k_count ? IN_FLIGHT : k_count; i > 0; --i)
                if (lane == 0) q3d_mbarrier_arrive(empty_barriers + 8 * ((step - i) % STAGES));

            """
        let finish = "  {\n" + indented(epilogue) + "\n  }\n"
        let producer: String, consumer: String
        if persistent {
            producer = """
                    load_weights();  // lands before the first stage's barrier completes (it tracks every earlier copy)
                    int step = 0;
                    for (int tile = m_tile; tile < M_TILES; tile += M_STRIDE) {
                      set_rows(tile * BM);

                """ + indented(indented(producerLoop)) + "\n    }\n"
            consumer = "    int step = 0;\n    for (;;) {\n" + zero(indent: 6) + indented(indented(consumerLoop + finish)) + """

                      m_tile += M_STRIDE;
                      if (m_tile >= M_TILES) break;
                      m0 = m_tile * BM;
                    }

                """
        } else if streamK {
            let runs = """
                    int step = 0;
                    int work = q3d_work_start(blockIdx.x);
                    const int work_end = q3d_work_start(blockIdx.x + 1);
                    while (work < work_end) {

                """ + indented(Self.streamKRunBounds)
            producer = runs + """
                      set_rows(m0);
                      set_columns(n0);

                """ + indented(indented(producerLoop)) + "\n      work += k_count;\n    }\n"
            consumer = "    constexpr int VECTORS = MB * NB;  // a partial tile: each consumer's accumulators as VECTORS 4-int vectors\n"
                + runs + zero(indent: 6) + indented(indented(consumerLoop)) + indented(streamKFixup(epilogue: epilogue))
                + "\n      work += k_count;\n    }\n"
        } else {
            producer = "    int step = 0;\n" + indented(producerLoop) + "\n"
            consumer = "    int step = 0;\n" + zero(indent: 4) + indented(consumerLoop + finish) + "\n"
        }
        return """
              const uint32_t full_barriers = ring_base + BARRIER_OFFSET, empty_barriers = full_barriers + 8 * STAGES;
              if (tid == 0) {
                for (int s = 0; s < STAGES; ++s) {
                  q3d_mbarrier_init(full_barriers + 8 * s, LOADERS);
                  q3d_mbarrier_init(empty_barriers + 8 * s, CONSUMER_WARPS);
                }
              }
              __syncthreads();
              if (warpgroup == WARPGROUPS) {
                // The producer.
                const int ltid = tid - CONSUMERS;

            """ + indented(text.loaders()) + "\n" + producer + """
                q3d_cp_async_wait_all();
              } else {
                // The consumers.
                \(accumulator.type) acc[MB][NB][4];

            """ + consumer + "  }\n"
    }

    /// Zeroes every accumulator, at `indent` spaces.
    func zero(indent: Int) -> String { ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: indent) }

    /// One k-tile's multiplication (inside a k loop, at its indentation, without a final newline): the
    /// warpgroup's rows of the A tile in stage `stage` times the B tile at `weights`, every k-step's `wgmma`
    /// committed as one group, then a wait until at most IN_FLIGHT groups run.
    func multiplyKTile(stage: String, weights: String) -> String {
        """
            const uint32_t a_tile = ring_base + \(stage) * STAGE_BYTES + warpgroup * WGM * BK;
            const uint32_t b_tile = \(weights);
            q3d_wgmma_fence();
            #pragma unroll
            for (int ks = 0; ks < BK / 32; ++ks)
              #pragma unroll
              for (int mb = 0; mb < MB; ++mb)
                q3d_wgmma(acc[mb], q3d_wgmma_descriptor(a_tile + mb * 64 * BK + ks * 32), q3d_wgmma_descriptor(b_tile + ks * 32));
            q3d_wgmma_commit();
            q3d_wgmma_wait<IN_FLIGHT>();
        """
    }

    /// A persistent block's life: the weights of its channel tile copied once (in the first k-tile's
    /// commit group), then per m-tile the main loop over the resident weights; once a tile's
    /// operations are done and every warpgroup has left the stages, the next tile's first k-tiles are
    /// put in flight before this tile's epilogue runs, so their copies overlap its stores.
    func persistentLoop(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        return """
              \(accumulator.type) acc[MB][NB][4];
              load_weights();
              set_rows(m0);

            """ + text.prologue(depth: "PREFETCH") + """
              for (;;) {
            \(ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: 4))
            """ + indented(kLoop(weights: "panel_base + (k_begin + t) * B_BYTES")) + """
                // Every warpgroup's operations have read their last stage: the ring is free.
                __syncthreads();
                const int next_tile = m_tile + M_STRIDE;
                if (next_tile < M_TILES) {
                  set_rows(next_tile * BM);

            """ + indented(indented(text.prologue(depth: "PREFETCH"))) + """
                }
                {

            """ + indented(indented(epilogue)) + """
                }
                if (next_tile >= M_TILES) break;
                m_tile = next_tile;
                m0 = m_tile * BM;
              }

            """
    }

    /// A stream-K block's life: for each tile its run of k-tiles touches, the main loop over those k-tiles;
    /// then a run that starts inside a tile publishes its partial sums (workspace slot and flag of the
    /// block), and the run that holds a tile's first k-tile adds the partial sums of the later blocks
    /// that finished the tile, then runs the epilogue. Waits only go to later blocks' first runs, which
    /// wait for nothing, so a grid that is resident at once cannot deadlock.
    func streamKLoop(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        return """
              \(accumulator.type) acc[MB][NB][4];
              constexpr int VECTORS = MB * NB;  // a partial tile: each thread's accumulators as VECTORS 4-int vectors
              int work = q3d_work_start(blockIdx.x);
              const int work_end = q3d_work_start(blockIdx.x + 1);
              while (work < work_end) {

            """ + Self.streamKRunBounds + """
                set_rows(m0);
                set_columns(n0);
                // The previous run's operations, epilogue staging or partial-sum stores have left the ring.
                __syncthreads();

            """ + indented(text.prologue(depth: "PREFETCH")) + ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: 4)
            + indented(kLoop(weights: "ring_base + read_stage * STAGE_BYTES + A_BYTES")) + streamKFixup(epilogue: epilogue) + """
                work += k_count;
              }

            """
    }

    /// The tile and k-tiles of a stream-K run starting at k-tile `work` of the block's share (inside the
    /// run loop).
    static let streamKRunBounds = """
            // This run: k-tiles [k_begin, k_begin + k_count) of tile `tile`; n-tiles vary fastest, so that
            // neighbouring blocks share activation rows in L2.
            const int tile = work / K_TILES;
            k_begin = work - tile * K_TILES;
            k_count = K_TILES - k_begin < work_end - work ? K_TILES - k_begin : work_end - work;
            m0 = (tile / N_TILES) * BM;
            n0 = (tile % N_TILES) * BN;

        """

    /// What a stream-K run does with its accumulators (inside the run loop): publish them as partial sums,
    /// or add the later blocks' and run the epilogue. The threads holding accumulators and the barrier
    /// among them are the block's, or a warp-specialized kernel's consumers.
    func streamKFixup(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        let (threads, barrier) = (text.epilogueThreads, text.epilogueBarrier)
        return """
                if (k_begin != 0) {
                  // A later part of the tile: publish the partial sums in this block's slot, then raise its flag for the
                  // block that holds the tile's first k-tile (the threadfence example of the CUDA guide).
                  int32_t* mine = workspace + (blockIdx.x * VECTORS * \(threads) + tid) * 4;
                  #pragma unroll
                  for (int mb = 0; mb < MB; ++mb)
                    #pragma unroll
                    for (int j = 0; j < NB; ++j) q3d_store_s32x4(mine + (mb * NB + j) * \(threads) * 4, acc[mb][j]);
                  __threadfence();
                  \(barrier);
                  if (tid == 0) atomicAdd(counters + blockIdx.x, 1);
                } else {
                  // The tile's first k-tile: the blocks after this one that started their runs inside the tile
                  // multiplied the rest of it; add their partial sums as each flag goes up.
                  for (int other = blockIdx.x + 1; k_count < K_TILES && other < GRID_BLOCKS && q3d_work_start(other) < (tile + 1) * K_TILES; ++other) {
                    if (tid == 0) q3d_wait_flag(counters + other);
                    \(barrier);
                    const int32_t* theirs = workspace + (other * VECTORS * \(threads) + tid) * 4;
                    #pragma unroll
                    for (int mb = 0; mb < MB; ++mb)
                      #pragma unroll
                      for (int j = 0; j < NB; ++j) {
                        int v[4];
                        q3d_load_s32x4_cg(theirs + (mb * NB + j) * \(threads) * 4, v);
                        #pragma unroll
                        for (int r = 0; r < 4; ++r) acc[mb][j][r] += v[r];
                      }
                  }
                  {

            """ + indented(indented(indented(epilogue))) + """
                  }
                }

            """
    }
}
