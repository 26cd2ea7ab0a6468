/// A host emulation of the imma kernel's device prelude, so that the kernel text a renderer produces —
/// everything after ``ImmaKernelText/kernelMarker`` — runs on the CPU, compiled by clang++.
///
/// Each CUDA thread is a fiber (`ucontext`); a block's fibers run one at a time in a random order (from
/// a seed) and switch only at `__syncthreads`, warp-collective instructions and `cp.async` waits. The
/// warp-collective instructions follow the PTX ISA's definitions: `ldmatrix.x4` gives lane l, in register
/// j, the four bytes 4(l%4).. of the row address lane 8j + l/4 supplied; `mma.m16n8k32` rebuilds the
/// 16x32 A, 32x8 B and 16x8 C tiles from the lanes' registers (fragment layouts of "Matrix fragments for
/// mma.m16n8k32"), multiplies exactly and hands D back the same way.
///
/// It checks what the GPU would not report: `cp.async` is emulated as late as the PTX allows (the
/// bytes land at the `wait_group` that covers them) and its destination is poisoned when it is issued,
/// so a missing wait or barrier reads poison (and a stage overwritten while another warp still reads it
/// too); every `cp.async` source, store and the residual and workspace loads are bounds- and
/// alignment-checked against the kernel's buffers, which also end at a guard page; warps whose lanes
/// reach different collectives, and deadlocked barriers, abort.
enum ImmaHostEmulation {
    static let prelude = #"""
        #include <algorithm>
        #include <cmath>
        #include <cstdarg>
        #include <cstdint>
        #include <cstdio>
        #include <cstdlib>
        #include <cstring>
        #include <functional>
        #include <map>
        #include <random>
        #include <vector>
        #include <sys/mman.h>
        #include <ucontext.h>
        #include <unistd.h>

        #define __global__
        #define __device__
        #define __forceinline__ inline
        #define __launch_bounds__(...)
        #define __restrict__ __restrict
        #define Q3D_DEVICE static inline
        #define Q3D_SHARED(name) uint8_t* name = q3d_emu::block->smem.data()

        namespace q3d_emu {
        [[noreturn]] static void fail(const char* format, ...) {
          va_list args;
          va_start(args, format);
          fprintf(stderr, "emulation error: ");
          vfprintf(stderr, format, args);
          fprintf(stderr, "\n");
          va_end(args);
          exit(3);
        }

        struct Index { unsigned x, y, z; };
        struct Copy { uint32_t dst; const uint8_t* src; int size; int src_bytes; };
        struct Thread {
          ucontext_t context;
          std::vector<char> stack;
          bool done = false;
          std::function<bool()> until;
          std::vector<Copy> open;
          std::vector<std::vector<Copy>> committed;
          std::vector<Copy> landed;  // copies landed since this thread's last fence.proxy.async
        };
        struct Warp { int arrived = 0; long generation = 0; int kind = 0; uint32_t in[32][10]; uint32_t out[32][4]; };
        struct Block {
          std::vector<Thread> threads;
          std::vector<Warp> warps;
          std::vector<uint8_t> smem;
          int current = -1;
          ucontext_t scheduler;
          int barrier_arrived = 0;
          long barrier_generation = 0;
          // Named barriers (bar.sync id, count): arrivals and generation per id.
          int named_arrived[16] = {};
          long named_generation[16] = {};
          Index index;
          std::function<void()> body;
        };
        struct Buffer { const uint8_t* begin; size_t bytes; const char* name; };
        // half: fp16 operands (k16) and float accumulators, kept as their bit patterns in d and d_in.
        struct WgmmaOp { unsigned long long a, b; int n; bool chained; int* d[128]; std::vector<int> d_in[128]; bool half = false; };
        // A wgmma whose A comes from registers (q3d_wgmma_rs): each lane's four registers as issued, and where
        // they live, to check that nothing overwrote them before the operation was waited for.
        struct WgmmaRegisterA { uint32_t values[128][4]; const uint32_t* source[128]; };
        struct WarpGroup {
          int arrived = 0;
          long generation = 0;
          int kind = 0;
          unsigned long long a[128], b[128];
          int* d[128];
          std::vector<WgmmaOp> open;
          std::vector<std::vector<WgmmaOp>> committed;
          const uint32_t* a_registers[128];
          // Register A of the operations issued by q3d_wgmma_rs, keyed by the WgmmaOp's position: the op's `a`
          // descriptor is ~0 and `b` is as usual; register_a[i] belongs to the op whose `a` low bits are i.
          std::vector<WgmmaRegisterA> register_a;
        };

        // An mbarrier: `pending` arrivals left in the current phase (of `count`), `phase` phases completed. A
        // cp.async.mbarrier.arrive keeps the thread's copies in `async` as one pending arrival; they land only
        // when a waiter needs the phase, as late as the PTX allows, and `landed[p]` keeps what landed at the last
        // phase of parity p, for the waiters' fence.proxy.async.
        struct MBarrier { int count = 0, pending = 0; long phase = 0; std::vector<std::vector<Copy>> async; std::vector<Copy> landed[2]; };

        static Block* block = nullptr;
        static std::vector<WarpGroup> warpgroups;
        static std::map<uint32_t, MBarrier> mbarriers;  // by shared address, per block
        // Per shared byte: 1 while it holds cp.async data its writer has not fenced for the async proxy.
        static std::vector<uint8_t> unfenced;
        static std::vector<Buffer> buffers;
        static std::mt19937 rng(1);

        static Thread& me() { return block->threads[block->current]; }

        static void switch_out(std::function<bool()> until) {
          Thread& t = me();
          t.until = std::move(until);
          swapcontext(&t.context, &block->scheduler);
        }

        static void entry() { block->body(); block->threads[block->current].done = true; }

        static void run_block(Index index, int threads, size_t smem_bytes, std::function<void()> body) {
          static Block b;
          block = &b;
          b.index = index;
          b.body = std::move(body);
          b.smem.assign(smem_bytes, 0xCD);
          b.threads.resize(threads);
          b.warps.assign((threads + 31) / 32, Warp());
          b.barrier_arrived = 0;
          for (int id = 0; id < 16; ++id) b.named_arrived[id] = 0;
          warpgroups.assign(threads / 128, WarpGroup());
          unfenced.assign(smem_bytes, 0);
          mbarriers.clear();
          for (Thread& t : b.threads) {
            t.done = false;
            t.until = nullptr;
            t.open.clear();
            t.committed.clear();
            t.landed.clear();
            t.stack.resize(1 << 18);
            getcontext(&t.context);
            t.context.uc_stack.ss_sp = t.stack.data();
            t.context.uc_stack.ss_size = t.stack.size();
            t.context.uc_link = &b.scheduler;
            makecontext(&t.context, entry, 0);
          }
          // Each warp gets a speed: the chance that one of its threads runs in a round. Warps running far
          // ahead of others expose missing waits and barriers that lockstep execution would hide.
          const double speeds[] = {1.0, 0.6, 0.3, 0.1};
          std::vector<double> speed(b.warps.size());
          for (double& s : speed) s = speeds[rng() % 4];
          std::uniform_real_distribution<double> chance(0.0, 1.0);
          std::vector<int> order(threads);
          for (;;) {
            order.clear();
            for (int i = 0; i < threads; ++i) {
              Thread& t = b.threads[i];
              if (!t.done && (!t.until || t.until())) order.push_back(i);
            }
            if (order.empty()) {
              for (const Thread& t : b.threads) if (!t.done) fail("block (%u, %u): deadlock, every live thread waits", index.x, index.y);
              break;
            }
            std::shuffle(order.begin(), order.end(), rng);
            bool ran = false;
            for (size_t k = 0; k < order.size(); ++k) {
              const int i = order[k];
              Thread& t = b.threads[i];
              if (t.done || (t.until && !t.until())) continue;
              if (chance(rng) > speed[i / 32] && (ran || k + 1 < order.size())) continue;
              t.until = nullptr;
              b.current = i;
              swapcontext(&b.scheduler, &t.context);
              ran = true;
            }
          }
        }

        static const Buffer& check_global(const void* p, size_t bytes, size_t alignment, const char* what) {
          const uint8_t* q = static_cast<const uint8_t*>(p);
          if (reinterpret_cast<uintptr_t>(q) % alignment != 0) fail("%s: address %p not %zu-byte aligned", what, p, alignment);
          for (const Buffer& buffer : buffers)
            if (q >= buffer.begin && q + bytes <= buffer.begin + buffer.bytes) return buffer;
          fail("%s: %zu bytes at %p are outside every buffer (block %u, %u, thread %d)", what, bytes, p,
               block->index.x, block->index.y, block->current);
        }

        static void check_shared(uint32_t address, size_t bytes, size_t alignment, const char* what) {
          if (address % alignment != 0) fail("%s: shared address %u not %zu-byte aligned", what, address, alignment);
          if (address + bytes > block->smem.size()) fail("%s: shared bytes %u..%zu past %zu", what, address, address + bytes, block->smem.size());
        }

        template <class Compute>
        static void collective(int kind, const uint32_t* in, int in_count, uint32_t* out, int out_count, Compute compute) {
          const int tid = block->current;
          Warp& w = block->warps[tid / 32];
          const int lane = tid % 32;
          if (w.arrived == 0) w.kind = kind;
          else if (w.kind != kind) fail("warp %d: lanes reach different collectives (%d, %d)", tid / 32, w.kind, kind);
          memcpy(w.in[lane], in, sizeof(uint32_t) * in_count);
          const long generation = w.generation;
          if (++w.arrived == 32) {
            compute(w);
            w.arrived = 0;
            w.generation++;
          } else {
            Warp* wp = &w;
            switch_out([wp, generation] { return wp->generation != generation; });
          }
          memcpy(out, w.out[lane], sizeof(uint32_t) * out_count);
        }

        static int8_t byte_of(uint32_t word, int i) { return static_cast<int8_t>((word >> (8 * i)) & 0xff); }

        // A copy lands: its bytes (zero past src_bytes) reach shared memory, not yet fenced for the async proxy.
        static void land(const Copy& copy) {
          uint8_t* dst = block->smem.data() + copy.dst;
          if (copy.src_bytes > 0) memcpy(dst, copy.src, copy.src_bytes);
          memset(dst + copy.src_bytes, 0, copy.size - copy.src_bytes);
          memset(unfenced.data() + copy.dst, 1, copy.size);
        }
        static void apply(const Copy& copy) {
          land(copy);
          me().landed.push_back(copy);
        }

        static MBarrier& mbarrier_at(uint32_t address, const char* what) {
          auto found = mbarriers.find(address);
          if (found == mbarriers.end()) fail("%s: no mbarrier initialized at shared address %u (thread %d)", what, address, block->current);
          return found->second;
        }
        // Completes the current phase: the copies of its cp.async arrivals land.
        static void complete_phase(MBarrier& b) {
          std::vector<Copy>& landed = b.landed[b.phase & 1];
          landed.clear();
          for (const std::vector<Copy>& copies : b.async)
            for (const Copy& copy : copies) {
              land(copy);
              landed.push_back(copy);
            }
          b.async.clear();
          b.phase++;
          b.pending = b.count;
        }
        // An arrival while every missing one of the current phase is a cp.async arrival belongs to the next phase:
        // the current one completes first (its copies land now, the latest they can).
        static void count_arrival(MBarrier& b) {
          if (!b.async.empty() && b.pending == (int)b.async.size()) complete_phase(b);
        }

        // A collective of the 128 threads of a warpgroup: each deposits, the last computes for all.
        template <class Deposit, class Compute>
        static void group_collective(int kind, Deposit deposit, Compute compute) {
          const int tid = block->current;
          if ((size_t)(tid / 128) >= warpgroups.size()) fail("thread %d: warpgroup instruction in a block of %zu warpgroups", tid, warpgroups.size());
          WarpGroup& g = warpgroups[tid / 128];
          if (g.arrived == 0) g.kind = kind;
          else if (g.kind != kind) fail("warpgroup %d: threads reach different warpgroup instructions (%d, %d)", tid / 128, g.kind, kind);
          deposit(g, tid % 128);
          const long generation = g.generation;
          if (++g.arrived == 128) {
            compute(g);
            g.arrived = 0;
            g.generation++;
          } else {
            WarpGroup* gp = &g;
            switch_out([gp, generation] { return gp->generation != generation; });
          }
        }

        // The shared address of byte k of row `row` of the K-major matrix a wgmma descriptor describes, as the
        // PTX ISA defines the swizzled canonical layouts: rows of W bytes (W = 128, 64, 32 for modes 1, 2, 3),
        // 8-row groups SBO bytes apart, and the 16-byte chunk bits [4, 4 + log2(W/16)) of the address XOR-ed with
        // the bits from 7 up.
        static uint32_t wgmma_address(unsigned long long desc, int row, int k) {
          const uint32_t start = (uint32_t)(desc & 0x3FFF) << 4;
          const uint32_t sbo = (uint32_t)((desc >> 32) & 0x3FFF) << 4;
          const int base_offset = (int)((desc >> 49) & 7), mode = (int)(desc >> 62);
          if (base_offset != 0) fail("wgmma descriptor with base offset %d", base_offset);
          if (mode < 1 || mode > 3) fail("wgmma descriptor with swizzle mode %d; the kernel uses 1-3", mode);
          const uint32_t width = mode == 1 ? 128 : (mode == 2 ? 64 : 32);
          if (start % width + 32 > width) fail("wgmma k-step at %u crosses a %u-byte swizzle row", start, width);
          if (start % (8 * width) >= width) fail("wgmma start %u is not in the first row of a swizzle atom", start);
          uint32_t address = start + (uint32_t)(row / 8) * sbo + (uint32_t)(row % 8) * width + (uint32_t)k;
          address ^= ((address >> 7) & (width / 16 - 1)) << 4;
          if (address >= block->smem.size()) fail("wgmma reads shared byte %u past %zu", address, block->smem.size());
          return address;
        }

        // fp16 element k of row `row` of a descriptor's matrix: bytes 2k and 2k + 1, each through the swizzle.
        static float wgmma_half(unsigned long long desc, int row, int k) {
          const uint8_t* smem = block->smem.data();
          const uint16_t bits = (uint16_t)(smem[wgmma_address(desc, row, 2 * k)] | (smem[wgmma_address(desc, row, 2 * k + 1)] << 8));
          _Float16 h;
          memcpy(&h, &bits, 2);
          return (float)h;
        }

        // What every wgmma form does with its operands A (64 x K) and B (N x K): with g = lane / 4, t = lane % 4, the
        // accumulator d[j][r] of lane `lane` (row 16 w + g + 8 (r / 2), column 8 j + 2 t + r % 2) adds the sum over k
        // of A[row][k] B[col][k], in k order, in Acc (int or float, the 4-byte register's type). An operation issued
        // while an earlier one on the same registers was in flight accumulates onto that one's result, which has been
        // written by now (operations run in issue order).
        template <typename Acc, typename T, int K>
        static void accumulate(const WgmmaOp& op, const T (&A)[64][K], const T (&B)[256][K]) {
          static_assert(sizeof(Acc) == 4, "one 32-bit register per accumulator");
          for (int lane = 0; lane < 128; ++lane) {
            const int w = lane / 32, g = (lane % 32) >> 2, t = lane & 3;
            for (int j = 0; j < op.n / 8; ++j)
              for (int r = 0; r < 4; ++r) {
                const int row = 16 * w + g + 8 * (r / 2), col = 8 * j + 2 * t + (r % 2);
                const int bits = op.chained ? op.d[lane][4 * j + r] : op.d_in[lane][4 * j + r];
                Acc sum;
                memcpy(&sum, &bits, 4);
                for (int k = 0; k < K; ++k) sum += (Acc)A[row][k] * (Acc)B[col][k];
                memcpy(&op.d[lane][4 * j + r], &sum, 4);
              }
          }
        }

        // m64nNk16 f32.f16.f16: products of fp16 values are exact in float; the sum runs in k order.
        static void execute_half(const WgmmaOp& op) {
          static float A[64][16], B[256][16];
          for (int r = 0; r < 64; ++r)
            for (int k = 0; k < 16; ++k) A[r][k] = wgmma_half(op.a, r, k);
          for (int n = 0; n < op.n; ++n)
            for (int k = 0; k < 16; ++k) B[n][k] = wgmma_half(op.b, n, k);
          accumulate<float>(op, A, B);
        }

        // The descriptor value that marks an operation's A as registers: no shared-memory descriptor has its
        // top bits (swizzle mode 3) and base offset 7 together with a start address of all ones.
        static const unsigned long long register_a_tag = 0xFFFE000000000000ull;
        static void execute_register_a(const WgmmaOp& op) {
          static int8_t A[64][32], B[256][32];
          const WgmmaRegisterA& a = warpgroups[block->current / 128].register_a[op.a & 0xFFFFFFFFull];
          for (int lane = 0; lane < 128; ++lane) {
            const int w = lane / 32, g = (lane % 32) >> 2, t = lane & 3;
            for (int i = 0; i < 4; ++i)
              if (a.source[lane][i] != a.values[lane][i])
                fail("wgmma: A register %d of thread %d changed while the operation reading it was in flight", i, lane);
            for (int i = 0; i < 4; ++i) {
              A[16 * w + g][4 * t + i] = byte_of(a.values[lane][0], i);
              A[16 * w + g + 8][4 * t + i] = byte_of(a.values[lane][1], i);
              A[16 * w + g][16 + 4 * t + i] = byte_of(a.values[lane][2], i);
              A[16 * w + g + 8][16 + 4 * t + i] = byte_of(a.values[lane][3], i);
            }
          }
          const uint8_t* smem = block->smem.data();
          for (int n = 0; n < op.n; ++n)
            for (int k = 0; k < 32; ++k) B[n][k] = (int8_t)smem[wgmma_address(op.b, n, k)];
          accumulate<int>(op, A, B);
        }

        static void execute(const WgmmaOp& op) {
          if (op.half) return execute_half(op);
          if ((op.a & ~0xFFFFFFFFull) == register_a_tag) return execute_register_a(op);
          static int8_t A[64][32], B[256][32];
          const uint8_t* smem = block->smem.data();
          for (int r = 0; r < 64; ++r)
            for (int k = 0; k < 32; ++k) A[r][k] = (int8_t)smem[wgmma_address(op.a, r, k)];
          for (int n = 0; n < op.n; ++n)
            for (int k = 0; k < 32; ++k) B[n][k] = (int8_t)smem[wgmma_address(op.b, n, k)];
          accumulate<int>(op, A, B);
        }
        }  // namespace q3d_emu

        #define threadIdx (q3d_emu::Index{static_cast<unsigned>(q3d_emu::block->current), 0u, 0u})
        #define blockIdx (q3d_emu::block->index)

        static void __syncthreads() {
          using namespace q3d_emu;
          int live = 0;
          for (const Thread& t : block->threads) live += t.done ? 0 : 1;
          const long generation = block->barrier_generation;
          if (++block->barrier_arrived == live) {
            block->barrier_arrived = 0;
            block->barrier_generation++;
            switch_out(nullptr);
          } else {
            switch_out([generation] { return block->barrier_generation != generation; });
          }
        }
        // bar.sync id, 128 from a warpgroup: the barrier completes when the warpgroup's live threads have arrived,
        // and a thread of another warpgroup arriving at the same id is an error.
        Q3D_DEVICE void q3d_warpgroup_barrier(int id) {
          using namespace q3d_emu;
          if (id <= 0 || id >= 16) fail("thread %d: named barrier %d outside 1..15", block->current, id);
          static int owner[16];
          const int group = block->current / 128;
          if (block->named_arrived[id] == 0) owner[id] = group;
          else if (owner[id] != group) fail("named barrier %d: warpgroups %d and %d arrive together", id, owner[id], group);
          int live = 0;
          const int end = std::min((int)block->threads.size(), 128 * (group + 1));
          for (int i = 128 * group; i < end; ++i) live += block->threads[i].done ? 0 : 1;
          const long generation = block->named_generation[id];
          if (++block->named_arrived[id] == live) {
            block->named_arrived[id] = 0;
            block->named_generation[id]++;
            switch_out(nullptr);
          } else {
            switch_out([generation, id] { return block->named_generation[id] != generation; });
          }
        }
        // bar.sync id, count: completes when `count` threads have arrived; threads arriving with another count fail.
        Q3D_DEVICE void q3d_named_barrier(int id, int count) {
          using namespace q3d_emu;
          if (id <= 0 || id >= 16) fail("thread %d: named barrier %d outside 1..15", block->current, id);
          if (count <= 0 || count % 32 != 0 || count > (int)block->threads.size()) fail("named barrier %d: count %d", id, count);
          static int counts[16];
          if (block->named_arrived[id] == 0) counts[id] = count;
          else if (counts[id] != count) fail("named barrier %d: threads arrive with counts %d and %d", id, counts[id], count);
          const long generation = block->named_generation[id];
          if (++block->named_arrived[id] == count) {
            block->named_arrived[id] = 0;
            block->named_generation[id]++;
            switch_out(nullptr);
          } else {
            switch_out([generation, id] { return block->named_generation[id] != generation; });
          }
        }
        Q3D_DEVICE void q3d_mbarrier_init(uint32_t address, int count) {
          using namespace q3d_emu;
          check_shared(address, 8, 8, "mbarrier");
          if (count <= 0) fail("mbarrier at %u initialized with count %d", address, count);
          MBarrier& b = mbarriers[address];
          b = MBarrier();
          b.count = b.pending = count;
          memset(block->smem.data() + address, 0x3B, 8);
        }
        Q3D_DEVICE void q3d_mbarrier_arrive(uint32_t address) {
          using namespace q3d_emu;
          MBarrier& b = mbarrier_at(address, "mbarrier.arrive");
          count_arrival(b);
          if (--b.pending == 0) complete_phase(b);
        }
        // The thread's copies so far (committed or not) become one arrival, counted when they land.
        Q3D_DEVICE void q3d_cp_async_mbarrier_arrive(uint32_t address) {
          using namespace q3d_emu;
          MBarrier& b = mbarrier_at(address, "cp.async.mbarrier.arrive");
          count_arrival(b);
          Thread& t = me();
          std::vector<Copy> copies;
          for (const std::vector<Copy>& group : t.committed) copies.insert(copies.end(), group.begin(), group.end());
          copies.insert(copies.end(), t.open.begin(), t.open.end());
          t.committed.clear();
          t.open.clear();
          b.async.push_back(std::move(copies));
        }
        // try_wait.parity: done once the phase of parity `parity` has completed, i.e. the current phase's parity
        // differs. A phase whose missing arrivals are all cp.async arrivals completes here, its copies landing.
        Q3D_DEVICE void q3d_mbarrier_wait(uint32_t address, int parity) {
          using namespace q3d_emu;
          MBarrier* b = &mbarrier_at(address, "mbarrier wait");
          auto done = [b, parity] {
            if ((int)(b->phase & 1) != parity) return true;
            if (!b->async.empty() && b->pending == (int)b->async.size()) {
              complete_phase(*b);
              return true;
            }
            return false;
          };
          switch_out(done);
          Thread& t = me();
          t.landed.insert(t.landed.end(), b->landed[parity].begin(), b->landed[parity].end());
        }
        Q3D_DEVICE void q3d_cp_async_wait_all() {
          using namespace q3d_emu;
          Thread& t = me();
          for (const std::vector<Copy>& group : t.committed)
            for (const Copy& copy : group) apply(copy);
          for (const Copy& copy : t.open) apply(copy);
          t.committed.clear();
          t.open.clear();
          switch_out(nullptr);
        }
        static void __threadfence() {}
        static int atomicAdd(int* p, int v) {
          q3d_emu::check_global(p, 4, 4, "atomicAdd");
          const int old = *p;
          *p = old + v;
          return old;
        }
        // Stream-K's wait for a later block's partial sums. Blocks run one at a time here, a stream-K grid's in
        // descending order (the driver's), so the flag must already be up: a wait for a block that published
        // nothing, or one whose flag was lowered already, is an error instead of a hang.
        static void q3d_wait_flag(int* flag) {
          q3d_emu::check_global(flag, 4, 4, "q3d_wait_flag");
          if (*flag != 1) q3d_emu::fail("block %u waits for a flag at %d, expected 1: no later block published", q3d_emu::block->index.x, *flag);
          *flag = 0;
        }
        static float __int2float_rn(int x) { return static_cast<float>(x); }
        static float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
        static int __float2int_rn(float x) {
          if (std::isnan(x)) return 0;
          if (x >= 2147483648.0f) return 2147483647;
          if (x <= -2147483648.0f) return -2147483647 - 1;
          return static_cast<int>(std::nearbyint(x));
        }

        Q3D_DEVICE uint32_t q3d_shared_address(const void* pointer) {
          return static_cast<uint32_t>(static_cast<const uint8_t*>(pointer) - q3d_emu::block->smem.data());
        }
        template <int BYTES>
        Q3D_DEVICE void q3d_cp_async(uint32_t dst, const void* src, int src_bytes) {
          using namespace q3d_emu;
          check_shared(dst, BYTES, BYTES, "cp.async destination");
          if (src_bytes < 0 || src_bytes > BYTES) fail("cp.async source size %d of %d", src_bytes, BYTES);
          if (reinterpret_cast<uintptr_t>(src) % BYTES != 0) fail("cp.async source %p not %d-byte aligned", src, BYTES);
          if (src_bytes > 0) check_global(src, src_bytes, BYTES, "cp.async source");
          for (const auto& entry : mbarriers)
            if (dst < entry.first + 8 && entry.first < dst + BYTES) fail("cp.async destination %u overwrites the mbarrier at %u", dst, entry.first);
          memset(block->smem.data() + dst, 0xA5, BYTES);
          me().open.push_back(Copy{dst, static_cast<const uint8_t*>(src), BYTES, src_bytes});
        }
        Q3D_DEVICE void q3d_cp_async_commit() {
          q3d_emu::Thread& t = q3d_emu::me();
          t.committed.push_back(std::move(t.open));
          t.open.clear();
        }
        template <int N>
        Q3D_DEVICE void q3d_cp_async_wait() {
          q3d_emu::Thread& t = q3d_emu::me();
          while (t.committed.size() > static_cast<size_t>(N)) {
            for (const q3d_emu::Copy& copy : t.committed.front()) q3d_emu::apply(copy);
            t.committed.erase(t.committed.begin());
          }
          q3d_emu::switch_out(nullptr);
        }
        Q3D_DEVICE void q3d_ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
          using namespace q3d_emu;
          collective(1, &address, 1, r, 4, [](Warp& w) {
            for (int lane = 0; lane < 32; ++lane) check_shared(w.in[lane][0], 16, 16, "ldmatrix row");
            for (int lane = 0; lane < 32; ++lane)
              for (int j = 0; j < 4; ++j)
                memcpy(&w.out[lane][j], block->smem.data() + w.in[8 * j + lane / 4][0] + 4 * (lane % 4), 4);
          });
        }
        Q3D_DEVICE void q3d_mma_s8(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
          using namespace q3d_emu;
          uint32_t in[10] = {a[0], a[1], a[2], a[3], b0, b1, (uint32_t)d[0], (uint32_t)d[1], (uint32_t)d[2], (uint32_t)d[3]};
          uint32_t out[4];
          collective(2, in, 10, out, 4, [](Warp& w) {
            int8_t A[16][32], B[8][32];
            int C[16][8];
            for (int lane = 0; lane < 32; ++lane) {
              const int g = lane >> 2, t = lane & 3;
              const uint32_t* v = w.in[lane];
              for (int i = 0; i < 4; ++i) {
                A[g][4 * t + i] = byte_of(v[0], i);
                A[g + 8][4 * t + i] = byte_of(v[1], i);
                A[g][16 + 4 * t + i] = byte_of(v[2], i);
                A[g + 8][16 + 4 * t + i] = byte_of(v[3], i);
                B[g][4 * t + i] = byte_of(v[4], i);
                B[g][16 + 4 * t + i] = byte_of(v[5], i);
              }
              C[g][2 * t] = (int)v[6];
              C[g][2 * t + 1] = (int)v[7];
              C[g + 8][2 * t] = (int)v[8];
              C[g + 8][2 * t + 1] = (int)v[9];
            }
            for (int row = 0; row < 16; ++row)
              for (int col = 0; col < 8; ++col) {
                int sum = C[row][col];
                for (int k = 0; k < 32; ++k) sum += (int)A[row][k] * (int)B[col][k];
                C[row][col] = sum;
              }
            for (int lane = 0; lane < 32; ++lane) {
              const int g = lane >> 2, t = lane & 3;
              w.out[lane][0] = (uint32_t)C[g][2 * t];
              w.out[lane][1] = (uint32_t)C[g][2 * t + 1];
              w.out[lane][2] = (uint32_t)C[g + 8][2 * t];
              w.out[lane][3] = (uint32_t)C[g + 8][2 * t + 1];
            }
          });
          for (int i = 0; i < 4; ++i) d[i] = (int)out[i];
        }
        Q3D_DEVICE void q3d_store_s32x2(int32_t* p, int x, int y) {
          q3d_emu::check_global(p, 8, 8, "int32 pair store");
          p[0] = x;
          p[1] = y;
        }
        Q3D_DEVICE void q3d_store_u16(int8_t* p, uint32_t v) {
          q3d_emu::check_global(p, 2, 2, "int8 pair store");
          const uint16_t h = (uint16_t)v;
          memcpy(p, &h, 2);
        }
        template <int BYTES> Q3D_DEVICE void q3d_load_vector(const int8_t* p, uint32_t (&v)[4]) {
          q3d_emu::check_global(p, BYTES, BYTES, "vector load");
          memcpy(v, p, BYTES);
        }
        template <int BYTES> Q3D_DEVICE void q3d_store_vector(int8_t* p, const uint32_t (&v)[4]) {
          q3d_emu::check_global(p, BYTES, BYTES, "vector store");
          memcpy(p, v, BYTES);
        }
        Q3D_DEVICE uint32_t q3d_load_u16(const int8_t* p) {
          q3d_emu::check_global(p, 2, 2, "residual pair load");
          uint16_t h;
          memcpy(&h, p, 2);
          return h;
        }
        Q3D_DEVICE void q3d_store_s32x4(int32_t* p, const int (&v)[4]) {
          q3d_emu::check_global(p, 16, 16, "workspace store");
          memcpy(p, v, 16);
        }
        Q3D_DEVICE void q3d_load_s32x4_cg(const int32_t* p, int (&v)[4]) {
          q3d_emu::check_global(p, 16, 16, "workspace load");
          memcpy(v, p, 16);
        }

        Q3D_DEVICE void q3d_fence_proxy_async() {
          q3d_emu::Thread& t = q3d_emu::me();
          for (const q3d_emu::Copy& copy : t.landed) memset(q3d_emu::unfenced.data() + copy.dst, 0, copy.size);
          t.landed.clear();
        }
        Q3D_DEVICE void q3d_register_fence(int&) {}
        Q3D_DEVICE void q3d_register_fence(float&) {}
        Q3D_DEVICE void q3d_wgmma_fence() {
          q3d_emu::group_collective(11, [](q3d_emu::WarpGroup&, int) {}, [](q3d_emu::WarpGroup&) {});
        }
        Q3D_DEVICE void q3d_wgmma_commit() {
          q3d_emu::group_collective(12, [](q3d_emu::WarpGroup&, int) {}, [](q3d_emu::WarpGroup& g) {
            g.committed.push_back(std::move(g.open));
            g.open.clear();
          });
        }
        template <int N>
        Q3D_DEVICE void q3d_wgmma_wait() {
          q3d_emu::group_collective(13, [](q3d_emu::WarpGroup&, int) {}, [](q3d_emu::WarpGroup& g) {
            while (g.committed.size() > (size_t)N) {
              for (const q3d_emu::WgmmaOp& op : g.committed.front()) q3d_emu::execute(op);
              g.committed.erase(g.committed.begin());
            }
          });
        }
        // Issue: checks that the warpgroup agrees on the descriptors and that every byte the operation reads
        // was fenced for the async proxy; keeps the accumulators' values and poisons the registers, which the
        // kernel may not read before the wait that executes the operation (unless an operation on the same
        // registers is already in flight: this one then chains onto its result).
        // Float accumulators (fp16 operands) travel as bit patterns: the emulation compiles with
        // -fno-strict-aliasing.
        template <int NB>
        Q3D_DEVICE void q3d_wgmma_issue(int* d, unsigned long long desc_a, unsigned long long desc_b, bool half) {
          using namespace q3d_emu;
          group_collective(10, [&](WarpGroup& g, int lane) {
            g.a[lane] = desc_a;
            g.b[lane] = desc_b;
            g.d[lane] = d;
          }, [half](WarpGroup& g) {
            WgmmaOp op;
            op.a = g.a[0];
            op.b = g.b[0];
            op.n = NB * 8;
            op.half = half;
            op.chained = false;
            for (const WgmmaOp& other : g.open) op.chained |= other.d[0] == g.d[0];
            for (const std::vector<WgmmaOp>& group : g.committed)
              for (const WgmmaOp& other : group) op.chained |= other.d[0] == g.d[0];
            for (int lane = 0; lane < 128; ++lane) {
              if (g.a[lane] != op.a || g.b[lane] != op.b) fail("wgmma: lanes 0 and %d disagree on the descriptors", lane);
              op.d[lane] = g.d[lane];
              if (!op.chained) {
                op.d_in[lane].assign(g.d[lane], g.d[lane] + NB * 4);
                for (int i = 0; i < NB * 4; ++i) g.d[lane][i] = 0x7B7B7B7B;
              }
            }
            for (int r = 0; r < 64; ++r)
              for (int k = 0; k < 32; ++k)
                if (unfenced[wgmma_address(op.a, r, k)]) fail("wgmma reads A row %d byte %d before its writer's fence.proxy.async", r, k);
            for (int n = 0; n < op.n; ++n)
              for (int k = 0; k < 32; ++k)
                if (unfenced[wgmma_address(op.b, n, k)]) fail("wgmma reads B row %d byte %d before its writer's fence.proxy.async", n, k);
            g.open.push_back(std::move(op));
          });
        }
        template <int NB>
        Q3D_DEVICE void q3d_wgmma(int (&d)[NB][4], unsigned long long desc_a, unsigned long long desc_b) {
          q3d_wgmma_issue<NB>(&d[0][0], desc_a, desc_b, false);
        }
        template <int NB>
        Q3D_DEVICE void q3d_wgmma(float (&d)[NB][4], unsigned long long desc_a, unsigned long long desc_b) {
          q3d_wgmma_issue<NB>(reinterpret_cast<int*>(&d[0][0]), desc_a, desc_b, true);
        }

        // wgmma with A from registers: as q3d_wgmma, but each lane's four registers are copied at issue (and their
        // address kept, so that the wait that executes the operation fails if they changed since); A's fragment is,
        // per warp w, the m16n8k32 A fragment of rows 16 w ..< 16 w + 16.
        template <int NB>
        Q3D_DEVICE void q3d_wgmma_rs(int (&d)[NB][4], const uint32_t (&a)[4], unsigned long long desc_b) {
          using namespace q3d_emu;
          group_collective(14, [&](WarpGroup& g, int lane) {
            g.b[lane] = desc_b;
            g.d[lane] = &d[0][0];
            g.a_registers[lane] = a;
          }, [](WarpGroup& g) {
            WgmmaOp op;
            WgmmaRegisterA registers;
            op.a = register_a_tag | (unsigned long long)g.register_a.size();
            op.b = g.b[0];
            op.n = NB * 8;
            op.chained = false;
            for (const WgmmaOp& other : g.open) op.chained |= other.d[0] == g.d[0];
            for (const std::vector<WgmmaOp>& group : g.committed)
              for (const WgmmaOp& other : group) op.chained |= other.d[0] == g.d[0];
            for (int lane = 0; lane < 128; ++lane) {
              if (g.b[lane] != op.b) fail("wgmma: lanes 0 and %d disagree on the B descriptor", lane);
              op.d[lane] = g.d[lane];
              memcpy(registers.values[lane], g.a_registers[lane], 16);
              registers.source[lane] = g.a_registers[lane];
              if (!op.chained) {
                op.d_in[lane].assign(g.d[lane], g.d[lane] + NB * 4);
                for (int i = 0; i < NB * 4; ++i) g.d[lane][i] = 0x7B7B7B7B;
              }
            }
            for (int n = 0; n < op.n; ++n)
              for (int k = 0; k < 32; ++k)
                if (unfenced[wgmma_address(op.b, n, k)]) fail("wgmma reads B row %d byte %d before its writer's fence.proxy.async", n, k);
            g.register_a.push_back(registers);
            g.open.push_back(std::move(op));
          });
        }

        // A buffer of `bytes` bytes whose end (rounded up to 16) touches an inaccessible page.
        static uint8_t* q3d_guarded(size_t bytes, const char* name) {
          const size_t page = (size_t)sysconf(_SC_PAGESIZE);
          const size_t rounded = (bytes + 15) / 16 * 16;
          const size_t span = (rounded + page - 1) / page * page;
          uint8_t* base = (uint8_t*)mmap(nullptr, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (base == MAP_FAILED) q3d_emu::fail("mmap of %zu bytes failed", span + page);
          mprotect(base + span, page, PROT_NONE);
          uint8_t* begin = base + span - rounded;
          q3d_emu::buffers.push_back(q3d_emu::Buffer{begin, bytes, name});
          return begin;
        }
        static void q3d_read(const char* path, void* data, size_t bytes) {
          FILE* f = fopen(path, "rb");
          if (!f || fread(data, 1, bytes, f) != bytes) q3d_emu::fail("cannot read %zu bytes from %s", bytes, path);
          fclose(f);
        }
        static void q3d_write(const char* path, const void* data, size_t bytes) {
          FILE* f = fopen(path, "wb");
          if (!f || fwrite(data, 1, bytes, f) != bytes) q3d_emu::fail("cannot write %s", path);
          fclose(f);
        }

        """#
}
