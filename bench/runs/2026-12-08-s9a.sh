#!/usr/bin/env bash
# Session 9's planned first call (not run in session 9: no device was lent): each layer's best imma_wgmma config so
# far and its warp-specialized twins and variants (bench/s9a_candidates.txt, the list twice, so that every config
# has two timings in one run), verified and timed, with PyTorch fp16 channels-last before and after. About 7 minutes
# (202 verified runs at the 0.9-1.5 s each of session 8's calls).
S=Scripts/gpu_session.sh
python3 Scripts/bench_torch.py --out $OUT/torch_first.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
cat bench/s9a_candidates.txt bench/s9a_candidates.txt > /tmp/s9a.txt
CANDIDATES=/tmp/s9a.txt timeout 440 bash $S candidates > /dev/null
python3 Scripts/bench_torch.py --out $OUT/torch.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
grep -E "FAILED|rror" $OUT/log.txt | head
python3 Scripts/candidates_table.py $OUT
