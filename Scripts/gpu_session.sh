#!/usr/bin/env bash
# What one call to the GPU machine runs: checks, verification sweeps and benchmarks, results under $OUT.
# Build here first (no CUDA SDK needed) and carry the static binary:
#   swift build -c release --static-swift-stdlib --product q3d && mkdir -p carry && cp .build/release/q3d carry/
#   then on the GPU machine: bash Scripts/gpu_session.sh STEP...   (STEP: check, verify-IMPL,
#   peak, torch, bench-IMPL, candidates, tune-IMPL, where IMPL is dp4a, imma or imma_wgmma; verify-IMPL checks $CONFIGS
#   configs on $WORKLOADS with outputs $VERIFY_OUT; tune-IMPL tunes $LAYER
#   (default r3d.l1) for $TRIALS trials with $STRATEGY, then runs conv3d --impl auto on the log;
#   tune-faults checks that a faulting and a hanging kernel fail only their own trials; tune-search-model and
#   tune-search-random tune $LAYERS with the model-guided search ($TRIALS, default 200) and random search
#   ($RANDOM_TRIALS, default 2000) for Scripts/tuning_analysis.py search; tune-r3d18 writes R3D-18 and tunes
#   every convolution of it ($TRIALS per workload, default 64) for Scripts/tuning_analysis.py model;
#   tune-dw measures every config of the depthwise template on the depthwise layers; tune-layers tunes $IMPL
#   on $LAYERS, $TRIALS each)
set -uo pipefail
Q=${Q3D:-./carry/q3d}
OUT=${OUT:-/tmp/q3d-out}
export Q3D_CACHE_DIR=${Q3D_CACHE_DIR:-/tmp/q3d-cache}
mkdir -p "$OUT"
LOG="$OUT/log.txt"
step() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$LOG"; }
for s in "$@"; do
  case "$s" in
    check)
      step check
      nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv 2>&1 | tee -a "$LOG"
      [ -x carry/q3d-gpu-check ] && ./carry/q3d-gpu-check 2>&1 | tee -a "$LOG"
      $Q doctor --self-test 2>&1 | tee -a "$LOG"
      $Q conv3d --layer r3d.l2 --device cuda --impl dp4a --verify --bench 2>&1 | tee -a "$LOG"
      $Q conv3d --layer r3d.l2 --device cuda --impl imma --out int8 --verify --bench 2>&1 | tee -a "$LOG" ;;
    verify-*)
      impl=${s#verify-}
      step "$s"
      timeout "${VERIFY_LIMIT:-480}" $Q verify --impl "$impl" --configs "${CONFIGS:-100}" --workloads "${WORKLOADS:-verify}" \
        --out "${VERIFY_OUT:-both}" --rows "$OUT/verify_$impl.jsonl" 2>&1 | tee -a "$LOG" ;;
    peak)
      # The int8 wgmma ceiling measured by q3d itself (operands in shared memory, results checked), with and
      # without a pipeline's shared-memory writes, while nvidia-smi samples the clock, power and throttle reasons.
      step peak
      nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active \
        --format=csv -lms 200 > "$OUT/peak_smi.csv" 2>&1 &
      smi=$!
      $Q peak --n "${PEAK_N:-64,128,256}" --warpgroups "${PEAK_WARPGROUPS:-1,2,3}" --copy-rows "${PEAK_COPY_ROWS:-0,128,256,384}" \
        --json > "$OUT/peak.jsonl" 2>> "$LOG"
      $Q peak --n 128,256 --warpgroups 2 --zeros --json >> "$OUT/peak.jsonl" 2>> "$LOG"
      kill $smi
      python3 Scripts/bound_analysis.py --peak "$OUT/peak.jsonl" 2>&1 | tee -a "$LOG" ;;
    torch)
      step torch
      python3 Scripts/bench_torch.py --out "$OUT/torch.json" --modes "${MODES:-fp16cl,fp16}" --depthwise --grouped 2>&1 | tee -a "$LOG" ;;
    bench-*)
      impl=${s#bench-}
      step "$s"
      $Q bench --impl "$impl" --trials "${TRIALS:-40}" --rows "$OUT/bench_$impl.jsonl" 2>&1 | tee -a "$LOG" ;;
    candidates)
      # Hand-picked configs (bench/wgmma_candidates.txt: "layer config-json" per line), each verified and timed.
      step candidates
      # Each run is bounded (CANDIDATE_LIMIT seconds, default 60) so one hanging kernel cannot eat the call.
      rows="$OUT/candidates_${IMPL:-imma_wgmma}.jsonl"
      grep -v '^#' "${CANDIDATES:-bench/wgmma_candidates.txt}" | while read -r layer config; do
        timeout "${CANDIDATE_LIMIT:-60}" $Q conv3d --layer "$layer" --device cuda --impl "${IMPL:-imma_wgmma}" --out int8 \
          --config "$config" --verify --bench --json >> "$rows" 2>> "$LOG" || echo "FAILED $layer $config" | tee -a "$LOG"
      done
      echo "$(wc -l < "$rows") candidates timed" | tee -a "$LOG" ;;
    tune-faults)
      # Trial 2 runs a kernel that writes to an illegal address (the CUDA context dies), trial 3 one that
      # never ends: each must fail alone, and fresh workers must measure the rest.
      step tune-faults
      $Q tune --layer r3d.l2 --device cuda --impl dp4a --trials 6 --round 6 --strategy random --time-limit 5 \
        --inject-fault 2 --inject-hang 3 --log "$OUT/tune_faults.jsonl" 2>&1 | tee -a "$LOG" ;;
    tune-search-model|tune-search-random)
      strategy=${s#tune-search-}
      if [ "$strategy" = model ]; then trials=${TRIALS:-200}; round=16; else trials=${RANDOM_TRIALS:-2000}; round=64; fi
      for layer in ${LAYERS:-r3d.l1 r3d.l3 r2p1d.t}; do
        step "$s $layer"
        $Q tune --layer "$layer" --device cuda --impl "${IMPL:-imma_wgmma}" --out int8 --strategy "$strategy" \
          --trials "$trials" --round "$round" --log "$OUT/tune_$strategy.jsonl" --json \
          >> "$OUT/tune_$strategy.json" 2>> "$LOG"
      done ;;
    tune-dw)
      # The depthwise space is small (at most 192 configs): grid search measures all of it.
      for layer in ${LAYERS:-dw.c96 dw.c96s2 dw.c54}; do
        step "$s $layer"
        $Q tune --layer "$layer" --device cuda --impl dw --out int8 --strategy grid --trials 200 --round 64 \
          --log "$OUT/tune_dw.jsonl" --json >> "$OUT/tune_dw.json" 2>> "$LOG"
      done ;;
    tune-layers)
      # Tunes $IMPL (default hmma_wgmma) on each of $LAYERS (default: the nine anchor layers) with the
      # model-guided search, $TRIALS trials each; for fp16 templates --out int8 means fp16 output with bias
      # and ReLU (what cuDNN's fp16 convolution writes).
      for layer in ${LAYERS:-r3d.stem r3d.l1 r3d.l2 r3d.l3 r3d.l4 r2p1d.s r2p1d.t i3d.pw unet.64}; do
        step "$s ${IMPL:-hmma_wgmma} $layer"
        $Q tune --layer "$layer" --device cuda --impl "${IMPL:-hmma_wgmma}" --out "${OUTPUT:-int8}" --trials "${TRIALS:-48}" \
          --round 16 --log "$OUT/tune_layers.jsonl" --json >> "$OUT/tune_layers.json" 2>> "$LOG"
      done ;;
    tune-r3d18)
      step "$s"
      python3 Scripts/make_r3d18.py --out /tmp/r3d18.onnx 2>&1 | tee -a "$LOG"
      date +%s.%N > "$OUT/tune_r3d18_start.txt"
      $Q tune --model /tmp/r3d18.onnx --device cuda --trials "${TRIALS:-64}" --log "$OUT/tune_r3d18.jsonl" --json \
        > "$OUT/tune_r3d18.json" 2>> "$LOG"
      date +%s.%N > "$OUT/tune_r3d18_end.txt"
      python3 Scripts/tuning_analysis.py model --log "$OUT/tune_r3d18.jsonl" --summaries "$OUT/tune_r3d18.json" \
        --start "$(cat "$OUT/tune_r3d18_start.txt")" 2>&1 | tee -a "$LOG" ;;
    tune-*)
      impl=${s#tune-}
      layer=${LAYER:-r3d.l1}
      step "$s $layer"
      $Q tune --layer "$layer" --device cuda --impl "$impl" --trials "${TRIALS:-64}" --strategy "${STRATEGY:-model}" \
        --log "$OUT/tune_$impl.jsonl" --plot "$OUT/tune_${impl}_$layer.svg" 2>&1 | tee -a "$LOG"
      $Q conv3d --layer "$layer" --device cuda --impl auto --tuning-log "$OUT/tune_$impl.jsonl" --verify --bench --json \
        2>&1 | tee -a "$LOG" ;;
    *) echo "unknown step $s" | tee -a "$LOG" ;;
  esac
done
step done
