#!/usr/bin/env bash
# Session 8: (1) Nsight Compute profiles of the best kernel so far of each layer below 2x (what bounds it, measured
# instead of inferred); (2) deeper rings (6, 8 stages) for r2p1d.t and r2p1d.s and wave-balanced tiles and splits for
# r3d.l2 and r3d.l3 (bench/s8_candidates.txt), and stream-K (bench/s8_streamk_candidates.txt), against the best configs
# so far; PyTorch fp16 channels-last before and after. Each step is bounded so that the run ends within 590 s.
S=Scripts/gpu_session.sh
python3 Scripts/bench_torch.py --out $OUT/torch_first.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
grep -E '^(r3d\.l2|r3d\.l3|r2p1d\.s|r2p1d\.t) ' bench/best_2026-12-05.txt > /tmp/base_wgmma.txt
cat /tmp/base_wgmma.txt bench/s8_streamk_candidates.txt bench/s8_candidates.txt > /tmp/s8.txt
CANDIDATES=/tmp/s8.txt timeout 250 bash $S candidates > /dev/null
# ncu: the first launch (the warm-up of --bench) of the conv3d kernel, clocks left alone (METHOD.md).
SECTIONS="--section SpeedOfLight --section MemoryWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --section ComputeWorkloadAnalysis --section WarpStateStats --section Occupancy --section LaunchStats --section SchedulerStats"
profile() {  # layer impl config (skipped once the run has used 470 s)
  [ $SECONDS -lt 470 ] || { echo "ncu $1 skipped at ${SECONDS}s" >> $OUT/log.txt; return; }
  timeout 45 ncu --clock-control none -k regex:'imma_(wgmma|halo)_conv3d' -c 1 $SECTIONS \
    ./carry/q3d conv3d --layer "$1" --device cuda --impl "$2" --out int8 --config "$3" --bench --repeats 1 > "$OUT/ncu_$1.txt" 2>&1
  echo "ncu $1 rc=$?" >> $OUT/log.txt
}
while read -r layer config; do profile "$layer" imma_wgmma "$config"; done < <(grep -E '^(r3d\.l2|r3d\.l3|r2p1d\.s|r2p1d\.t|r3d\.l4) ' bench/best_2026-12-05.txt)
while read -r layer config; do profile "$layer" imma_halo "$config"; done < <(grep -E '^(r3d\.l1|unet\.64) ' bench/halo_best_2026-12-05.txt)
python3 Scripts/bench_torch.py --out $OUT/torch.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
grep -E "FAILED|rror|ncu " $OUT/log.txt | head -20
python3 - <<'P'
import json, os
out = os.environ["OUT"]
torch = {}
for f in ["torch_first.json", "torch.json"]:
    try:
        for r in json.load(open(f"{out}/{f}"))["layers"]:
            torch[r["name"]] = min(torch.get(r["name"], 9e9), r["fp16cl"]["ms"])
    except Exception as e: print("torch", f, e)
rows = [json.loads(l) for l in open(f"{out}/candidates_imma_wgmma.jsonl")]
for r in sorted(rows, key=lambda r: (r["layer"], r.get("ms") or 9)):
    c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
    t = torch.get(r["layer"])
    ratio = f"{t / r['ms']:.2f}x" if t and r.get("ms") else "-"
    print(f"{r['layer']:8s} {r.get('ms') or 0:.4f} {ratio:6s} {r.get('verified')} {json.dumps(c, separators=(',', ':'), sort_keys=True)}")
P
for f in $OUT/ncu_*.txt; do echo "## $f"; grep -E "Duration|DRAM Throughput|L2 Cache Throughput|L1/TEX Cache Throughput|Compute \(SM\) Throughput|Memory Throughput|Achieved Occupancy|Registers Per|Issue Slots Busy|No Eligible|Warp Cycles Per Issued" $f | head -14; done
