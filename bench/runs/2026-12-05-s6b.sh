#!/usr/bin/env bash
# Session 6, second call: 192-row (three-warpgroup) imma_wgmma tiles on the layers whose 128-row tiles
# leave SMs idle, against the best configs of 2026-12-05 and PyTorch in the same run; then the
# model-guided tuner on r3d.l2 and r3d.l3 in the space that now holds them.
S=Scripts/gpu_session.sh
MODES=fp16cl bash $S torch > /dev/null; mv $OUT/torch.json $OUT/torch_first.json
CANDIDATES=bench/best_2026-12-05.txt bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_best_2026-12-05.txt bash $S candidates > /dev/null
CANDIDATES=bench/wgmma192_candidates.txt bash $S candidates > /dev/null
MODES=fp16cl bash $S torch > /dev/null
IMPL=imma_wgmma TRIALS=48 LAYERS="r3d.l2 r3d.l3" timeout 200 bash $S tune-layers > /dev/null
python3 Scripts/bound_analysis.py $OUT/candidates_imma_wgmma.jsonl $OUT/candidates_imma_halo.jsonl $OUT/tune_layers.jsonl \
  --torch $OUT/torch_first.json > $OUT/table.md 2>&1
gzip $OUT/tune_layers.jsonl
grep -E "^==|FAILED|fp16cl|_int_mm|rror" $OUT/log.txt | grep -v "g32\|g4\|dw" | head -60
python3 - <<'P'
import json, os
out = os.environ["OUT"]
for line in open(f"{out}/candidates_imma_wgmma.jsonl"):
    r = json.loads(line)
    c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
    print(r["layer"], r.get("verified"), round(r["ms"], 4) if r.get("ms") else None, c["block_m"], c["block_n"], c["block_k"], c["warpgroups"], c["stages"], c.get("split_k"), c.get("min_blocks"))
P
cat $OUT/table.md
