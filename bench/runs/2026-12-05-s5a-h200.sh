#!/usr/bin/env bash
# Session 5's device call: imma_halo's first GPU verification and timing, the same-run table of all nine layers.
S=Scripts/gpu_session.sh
bash $S check > /dev/null
IMPL=imma_halo CONFIGS=4 WORKLOADS=r3d.l1,r3d.l2,r2p1d.s,r2p1d.t,unet.64 VERIFY_OUT=all VERIFY_LIMIT=150 bash $S verify-imma_halo > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_candidates.txt bash $S candidates > /dev/null
MODES=fp16cl bash $S torch > /dev/null
CANDIDATES=bench/wgmma_final_candidates.txt bash $S candidates > /dev/null
IMPL=imma_halo TRIALS=48 LAYERS="r3d.l1 unet.64 r3d.l2 r3d.l3 r2p1d.s r2p1d.t" timeout 160 bash $S tune-layers > /dev/null
mv $OUT/tune_layers.json $OUT/tune_halo.json; mv $OUT/tune_layers.jsonl $OUT/tune_halo.jsonl
IMPL=imma_wgmma TRIALS=64 LAYERS="r2p1d.s r2p1d.t r3d.l3 r3d.l1 unet.64 r3d.l2" timeout 120 bash $S tune-layers > /dev/null
mv $OUT/tune_layers.json $OUT/tune_wgmma.json; mv $OUT/tune_layers.jsonl $OUT/tune_wgmma.jsonl
python3 Scripts/bound_analysis.py $OUT/candidates_imma_wgmma.jsonl $OUT/candidates_imma_halo.jsonl $OUT/tune_halo.jsonl \
  $OUT/tune_wgmma.jsonl --torch $OUT/torch.json > $OUT/table.md 2>&1
gzip $OUT/tune_*.jsonl; (cd $OUT && tar cf tune.tar tune_*.json tune_*.jsonl.gz && rm tune_*.json tune_*.jsonl.gz)
grep -E "^==|FAILED|passed|mismatch|rror" $OUT/log.txt | head -60
cat $OUT/table.md
ls -la $OUT
