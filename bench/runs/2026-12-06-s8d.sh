#!/usr/bin/env bash
# Session 8, fourth call: rasterization and pipeline variants of r3d.l2's 192-row config and stream-K variants of
# r3d.l3 (bench/s8d_candidates.txt, twice), with PyTorch fp16 channels-last before and after.
S=Scripts/gpu_session.sh
python3 Scripts/bench_torch.py --out $OUT/torch_first.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
cat bench/s8d_candidates.txt bench/s8d_candidates.txt > /tmp/s8d.txt
CANDIDATES=/tmp/s8d.txt timeout 200 bash $S candidates > /dev/null
python3 Scripts/bench_torch.py --out $OUT/torch.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
grep -E "FAILED|rror|r3d.l[23] " $OUT/log.txt | head
python3 - <<'P'
import json, os
out = os.environ["OUT"]
torch = {}
for f in ["torch_first.json", "torch.json"]:
    for r in json.load(open(f"{out}/{f}"))["layers"]: torch.setdefault(r["name"], []).append(r["fp16cl"]["ms"])
for line in open(f"{out}/candidates_imma_wgmma.jsonl"):
    r = json.loads(line); c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
    print(f"{r['layer']:7s} {r['ms']:.4f} ({r['ms_min']:.4f}-{r['ms_max']:.4f}) x {min(torch[r['layer']])/r['ms']:.2f} {r['verified']} {json.dumps(c, separators=(',', ':'), sort_keys=True)}")
P
