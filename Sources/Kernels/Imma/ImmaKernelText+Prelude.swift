extension ImmaKernelText {
    /// The line that separates the device prelude from the kernel. Everything after it uses the
    /// instructions only through the `q3d_` helpers above it, so a host emulation can replace the prelude.
    static let kernelMarker = "// ---- kernel ----"

    /// Integer types (NVRTC has no system headers) and one helper per PTX instruction the kernel uses,
    /// each a thin `asm` wrapper.
    static let prelude = #"""
        typedef signed char int8_t;
        typedef unsigned char uint8_t;
        typedef unsigned short uint16_t;
        typedef int int32_t;
        typedef unsigned int uint32_t;

        #define Q3D_DEVICE __device__ __forceinline__
        // The block's dynamic shared memory; 128-byte aligned so that the swizzle sees whole bank lines.
        #define Q3D_SHARED(name) extern __shared__ __align__(128) uint8_t name[]

        // The 32-bit shared-window address of a pointer to shared memory: what cp.async and ldmatrix take.
        Q3D_DEVICE uint32_t q3d_shared_address(const void* pointer) {
          uint32_t address;
          asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(address) : "l"(pointer));
          return address;
        }

        // cp.async copies BYTES bytes global -> shared without registers; source bytes past src_bytes
        // (0 or BYTES here) are zero-filled, so a predicate becomes a source size and never a branch.
        // The 16-byte form may bypass L1 (.cg); the 4- and 8-byte forms must go through it (.ca).
        template <int BYTES>
        Q3D_DEVICE void q3d_cp_async(uint32_t dst, const void* src, int src_bytes);
        template <>
        Q3D_DEVICE void q3d_cp_async<16>(uint32_t dst, const void* src, int src_bytes) {
          asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(dst), "l"(src), "r"(src_bytes) : "memory");
        }
        template <>
        Q3D_DEVICE void q3d_cp_async<8>(uint32_t dst, const void* src, int src_bytes) {
          asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;" :: "r"(dst), "l"(src), "r"(src_bytes) : "memory");
        }
        template <>
        Q3D_DEVICE void q3d_cp_async<4>(uint32_t dst, const void* src, int src_bytes) {
          asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" :: "r"(dst), "l"(src), "r"(src_bytes) : "memory");
        }
        Q3D_DEVICE void q3d_cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
        // Waits until at most N of this thread's committed groups are still in flight.
        template <int N>
        Q3D_DEVICE void q3d_cp_async_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory"); }

        // Four 8x8 matrices of 16-bit elements (8 rows of 16 bytes each): lanes 8j..8j+7 give the row
        // addresses of matrix j; register j of lane l receives bytes 4(l%4)..4(l%4)+3 of row l/4 of
        // matrix j.
        Q3D_DEVICE void q3d_ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
          asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                       : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(address) : "memory");
        }

        // d += a * b for a 16x32 int8 A (row-major) and a 32x8 int8 B (column-major), int32 d.
        // With g = lane / 4, t = lane % 4: a[0] row g, k 4t..4t+3; a[1] row g+8; a[2] row g, k 16+4t..;
        // a[3] row g+8, k 16+4t..; b0 column g, k 4t..4t+3; b1 column g, k 16+4t..;
        // d[0], d[1] row g, columns 2t, 2t+1; d[2], d[3] row g+8.
        Q3D_DEVICE void q3d_mma_s8(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
          asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                       : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                       : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
        }

        // Global accesses of the epilogue and the split-K exchange.
        Q3D_DEVICE void q3d_store_s32x2(int32_t* p, int x, int y) {
          asm volatile("st.global.v2.s32 [%0], {%1, %2};" :: "l"(p), "r"(x), "r"(y) : "memory");
        }
        Q3D_DEVICE void q3d_store_u16(int8_t* p, uint32_t v) {
          asm volatile("st.global.u16 [%0], %1;" :: "l"(p), "h"((uint16_t)v) : "memory");
        }
        Q3D_DEVICE uint32_t q3d_load_u16(const int8_t* p) {
          uint16_t v;
          asm volatile("ld.global.u16 %0, [%1];" : "=h"(v) : "l"(p) : "memory");
          return v;
        }
        Q3D_DEVICE void q3d_store_s32x4(int32_t* p, const int (&v)[4]) {
          asm volatile("st.global.v4.s32 [%0], {%1, %2, %3, %4};" :: "l"(p), "r"(v[0]), "r"(v[1]), "r"(v[2]), "r"(v[3]) : "memory");
        }
        // Reads through L2 only (.cg): the partial sums were written by other blocks, after our L1 could
        // have seen the lines.
        Q3D_DEVICE void q3d_load_s32x4_cg(const int32_t* p, int (&v)[4]) {
          asm volatile("ld.global.cg.v4.s32 {%0, %1, %2, %3}, [%4];" : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]) : "l"(p) : "memory");
        }
        """#
}
