#!/usr/bin/env bash
# Session 6's first call: the measured int8 wgmma ceiling (q3d peak), then the best config of every layer
# with PyTorch before and after, as in s5b.
S=Scripts/gpu_session.sh
bash $S check > /dev/null
bash $S peak > /dev/null
MODES=fp16cl bash $S torch > /dev/null; mv $OUT/torch.json $OUT/torch_first.json
CANDIDATES=bench/best_2026-12-05.txt bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_best_2026-12-05.txt bash $S candidates > /dev/null
MODES=fp16cl bash $S torch > /dev/null
python3 Scripts/bound_analysis.py $OUT/candidates_imma_wgmma.jsonl $OUT/candidates_imma_halo.jsonl \
  --peak $OUT/peak.jsonl --torch $OUT/torch_first.json > $OUT/table.md 2>&1
grep -E "^==|FAILED|fp16cl|_int_mm|rror" $OUT/log.txt | head -60
cat $OUT/table.md
