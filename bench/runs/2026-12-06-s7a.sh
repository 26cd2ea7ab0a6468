#!/usr/bin/env bash
# Session 7, first call: imma_halo with resident weights (bench/halo_resident_candidates.txt) against the best configs
# of every template so far, PyTorch fp16 channels-last before and after, one H100 run.
S=Scripts/gpu_session.sh
MODES=fp16cl bash $S torch > /dev/null; mv $OUT/torch.json $OUT/torch_first.json
CANDIDATES=bench/best_2026-12-05.txt bash $S candidates > /dev/null
CANDIDATES=bench/best_2026-12-05-s6.txt bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_best_2026-12-05.txt bash $S candidates > /dev/null
# bounded, so that PyTorch's second timing and the summary still run
IMPL=imma_halo CANDIDATES=bench/halo_resident_candidates.txt timeout 240 bash $S candidates > /dev/null
MODES=fp16cl bash $S torch > /dev/null
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
cat $OUT/table.md | head -40
