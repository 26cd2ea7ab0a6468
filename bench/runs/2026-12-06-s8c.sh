#!/usr/bin/env bash
# Session 8, third call: where the warps of the best kernels stall (Nsight Compute's warp-state and source
# counters, with details) for r3d.l3 (stream-K), r2p1d.t (persistent), r2p1d.s and r3d.l1 (halo): the next step's evidence.
Q=./carry/q3d_old  # the s8a build: this commit's kernels (the staging swizzle of carry/q3d was dropped)
SECTIONS="--section WarpStateStats --section SourceCounters --section InstructionStats --section ComputeWorkloadAnalysis --print-details all"
profile() {  # layer impl config
  [ $SECONDS -lt 300 ] || { echo "ncu $1 skipped at ${SECONDS}s" >> $OUT/log.txt; return; }
  timeout 90 ncu --clock-control none -k regex:'imma_(wgmma|halo)_conv3d' -c 1 $SECTIONS \
    $Q conv3d --layer "$1" --device cuda --impl "$2" --out int8 --config "$3" --bench --repeats 1 > "$OUT/ncu_$1.txt" 2>&1
  echo "ncu $1 rc=$? at ${SECONDS}s" >> $OUT/log.txt
}
profile r3d.l3 imma_wgmma '{"a_vector":16,"block_k":128,"block_m":192,"block_n":128,"min_blocks":1,"raster_group":1,"split_k":1,"staged_output":1,"stages":4,"stream_k":1,"warpgroups":3,"wgmma_in_flight":1}'
profile r2p1d.t imma_wgmma '{"a_vector":16,"block_k":128,"block_m":128,"block_n":64,"min_blocks":2,"persistent":1,"raster_group":8,"split_k":1,"staged_output":1,"stages":4,"warpgroups":2,"wgmma_in_flight":1}'
profile r2p1d.s imma_wgmma '{"a_vector":16,"block_k":64,"block_m":128,"block_n":144,"min_blocks":2,"raster_group":1,"split_k":1,"staged_output":1,"stages":5,"warpgroups":2,"wgmma_in_flight":1}'
profile r3d.l1 imma_halo '{"block_n":64,"channel_block":64,"min_blocks":2,"stages":4,"tile_x":8,"tile_y":4,"tile_z":4,"warpgroups":1}'
cat $OUT/log.txt
for f in $OUT/ncu_*.txt; do echo "## $f"; grep -E "Stall|stall|Warp Cycles Per Issued|Issue Slots|pipeline" $f | head -30; done
