#!/usr/bin/env bash
# Session 5's H100 call: the best config of every layer (imma_wgmma and imma_halo) timed with PyTorch in one run.
S=Scripts/gpu_session.sh
bash $S check > /dev/null
MODES=fp16cl bash $S torch > /dev/null; mv $OUT/torch.json $OUT/torch_first.json
CANDIDATES=bench/best_2026-12-05.txt bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_best_2026-12-05.txt bash $S candidates > /dev/null
IMPL=imma_halo TRIALS=64 LAYERS="r3d.l1 unet.64" timeout 60 bash $S tune-layers > /dev/null
MODES=fp16cl bash $S torch > /dev/null
python3 Scripts/bound_analysis.py $OUT/candidates_imma_wgmma.jsonl $OUT/candidates_imma_halo.jsonl $OUT/tune_layers.jsonl \
  --torch $OUT/torch_first.json > $OUT/table.md 2>&1
gzip $OUT/tune_layers.jsonl
grep -E "^==|FAILED|fp16cl|_int_mm|rror" $OUT/log.txt | head -60
cat $OUT/table.md
