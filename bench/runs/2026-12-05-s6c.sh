#!/usr/bin/env bash
# Session 6, third call: activation copies through L1 (a_cache 1) against the same configs without it, in one
# run with PyTorch before and after.
S=Scripts/gpu_session.sh
MODES=fp16cl bash $S torch > /dev/null; mv $OUT/torch.json $OUT/torch_first.json
CANDIDATES=bench/best_2026-12-05.txt bash $S candidates > /dev/null
CANDIDATES=bench/wgmma_l1_candidates.txt bash $S candidates > /dev/null
CANDIDATES=bench/wgmma192_candidates.txt bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_best_2026-12-05.txt bash $S candidates > /dev/null
MODES=fp16cl bash $S torch > /dev/null
python3 Scripts/bound_analysis.py $OUT/candidates_imma_wgmma.jsonl $OUT/candidates_imma_halo.jsonl \
  --torch $OUT/torch_first.json > $OUT/table.md 2>&1
grep -E "^==|FAILED|fp16cl|_int_mm|rror" $OUT/log.txt | grep -v "g32\|g4\|dw" | head -60
python3 - <<'P'
import json, os
out = os.environ["OUT"]
for line in open(f"{out}/candidates_imma_wgmma.jsonl"):
    r = json.loads(line)
    c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
    print(r["layer"], r.get("verified"), round(r["ms"], 4) if r.get("ms") else None, c["block_m"], c["block_n"], c["block_k"], c["warpgroups"], c["stages"], c.get("split_k"), c.get("min_blocks"), "L1" if c.get("a_cache") else "")
P
cat $OUT/table.md
