#!/usr/bin/env bash
# Session 5's last H100 call: longer tuning of the layers furthest from 2x, PyTorch before and after.
S=Scripts/gpu_session.sh
MODES=fp16cl bash $S torch > /dev/null; mv $OUT/torch.json $OUT/torch_first.json
IMPL=imma_wgmma TRIALS=160 LAYERS="r2p1d.t r3d.l3 r2p1d.s r3d.l4" timeout 230 bash $S tune-layers > /dev/null
IMPL=imma_halo TRIALS=112 LAYERS="unet.64 r3d.l1" timeout 70 bash $S tune-layers > /dev/null
MODES=fp16cl bash $S torch > /dev/null
python3 Scripts/bound_analysis.py $OUT/tune_layers.jsonl --torch $OUT/torch.json > $OUT/table.md 2>&1
gzip $OUT/tune_layers.jsonl
grep -E "^==|fp16cl|_int_mm 8192|rror" $OUT/log.txt | grep -v "g32\|g4\|dw" | head -60
cat $OUT/table.md
