#!/usr/bin/env bash
# Session 7: imma_halo with resident weights (bench/halo_resident_candidates.txt) on the four layers whose weights fit,
# against the best imma_wgmma and imma_halo configs so far of the same layers, PyTorch fp16 channels-last before and after,
# in one device run (session 7 got no machine; run in session 8, 2026-12-06: bench/results/2026-12-06-h100-s7a-*).
S=Scripts/gpu_session.sh
LAYERS_RE='^(r3d\.l1|unet\.64|r2p1d\.s|r2p1d\.t) '
grep -E "$LAYERS_RE" bench/best_2026-12-05.txt > /tmp/base_wgmma.txt
grep -E "$LAYERS_RE" bench/halo_best_2026-12-05.txt > /tmp/base_halo.txt
python3 Scripts/bench_torch.py --out $OUT/torch_first.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
CANDIDATES=/tmp/base_wgmma.txt bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=/tmp/base_halo.txt bash $S candidates > /dev/null
# bounded, so that PyTorch's second timing and the summary still run
IMPL=imma_halo CANDIDATES=bench/halo_resident_candidates.txt timeout 320 bash $S candidates > /dev/null
python3 Scripts/bench_torch.py --out $OUT/torch.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
python3 Scripts/bound_analysis.py $OUT/candidates_imma_wgmma.jsonl $OUT/candidates_imma_halo.jsonl \
  --torch $OUT/torch_first.json > $OUT/table.md 2>&1
grep -E "FAILED|fp16cl|rror" $OUT/log.txt | grep -v "g32\|g4\|dw" | head -40
python3 - <<'P'
import json, os
out = os.environ["OUT"]
best = {}
for impl in ["imma_wgmma", "imma_halo"]:
    for line in open(f"{out}/candidates_{impl}.jsonl"):
        r = json.loads(line)
        c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
        kind = impl + ("+resident" if c.get("resident") else "")
        ms = r.get("ms")
        if r.get("verified") is not True or not ms: print("UNVERIFIED", r["layer"], kind, json.dumps(c)); continue
        key = (r["layer"], kind)
        if key not in best or ms < best[key][0]: best[key] = (ms, json.dumps(c, separators=(',', ':')))
for (layer, kind), (ms, c) in sorted(best.items()):
    print(f"{layer:9s} {kind:18s} {ms:.4f} {c}")
P
head -30 $OUT/table.md
