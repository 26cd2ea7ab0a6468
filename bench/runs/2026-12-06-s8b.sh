#!/usr/bin/env bash
# Session 8, second call: the staging swizzle (carry/q3d) against the same kernels without it (carry/q3d_old, the
# s8a build) on the best imma_wgmma config so far of every layer and the best stream-K ones (bench/s8b_ab.txt),
# two rounds interleaved; more stream-K shapes; the best imma_halo configs; PyTorch fp16 channels-last before and after.
S=Scripts/gpu_session.sh
python3 Scripts/bench_torch.py --out $OUT/torch_first.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
for round in 1 2; do
  grep -v '^#' bench/s8b_ab.txt | while read -r layer config; do
    for bin in old new; do
      q=./carry/q3d; [ $bin = old ] && q=./carry/q3d_old
      row=$(timeout 60 $q conv3d --layer "$layer" --device cuda --impl imma_wgmma --out int8 --config "$config" --verify --bench --json 2>> $OUT/log.txt)
      echo "{\"bin\": \"$bin\", \"round\": $round, \"row\": ${row:-null}}" >> $OUT/ab.jsonl
    done
  done
done
echo "ab done at ${SECONDS}s" >> $OUT/log.txt
CANDIDATES=bench/s8b_streamk_candidates.txt timeout 120 bash $S candidates > /dev/null
IMPL=imma_halo CANDIDATES=bench/halo_best_2026-12-05.txt timeout 90 bash $S candidates > /dev/null
python3 Scripts/bench_torch.py --out $OUT/torch.json --modes fp16cl --repeats 30 >> $OUT/log.txt 2>&1
grep -E "FAILED|rror|done at" $OUT/log.txt | head -20
python3 - <<'P'
import json, os, statistics
out = os.environ["OUT"]
torch = {}
for f in ["torch_first.json", "torch.json"]:
    try:
        for r in json.load(open(f"{out}/{f}"))["layers"]:
            torch.setdefault(r["name"], []).append(r["fp16cl"]["ms"])
    except Exception as e: print("torch", f, e)
print("torch fp16cl (first, second):", {k: [round(x, 4) for x in v] for k, v in torch.items()})
ab = {}
for line in open(f"{out}/ab.jsonl"):
    r = json.loads(line)
    if not r["row"]: print("no row", r); continue
    row = r["row"]; c = row["config"] if isinstance(row["config"], dict) else json.loads(row["config"])
    key = (row["layer"], json.dumps(c, separators=(',', ':'), sort_keys=True))
    ab.setdefault(key, {}).setdefault(r["bin"], []).append((row.get("ms"), row.get("verified")))
for (layer, c), v in ab.items():
    old = [m for m, ok in v.get("old", []) if m]; new = [m for m, ok in v.get("new", []) if m]
    ok = all(ok is True for b in v.values() for _, ok in b)
    t = min(torch.get(layer, [0]))
    print(f"AB {layer:8s} old {min(old):.4f} new {min(new):.4f} ({min(old)/min(new)-1:+.1%}) x torch {t/min(new):.2f} verified {ok} {c}")
best = {}
for impl in ["imma_wgmma", "imma_halo"]:
    try: lines = open(f"{out}/candidates_{impl}.jsonl").readlines()
    except OSError: continue
    for line in lines:
        r = json.loads(line); c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
        if r.get("verified") is not True: print("UNVERIFIED", impl, r["layer"], c); continue
        print(f"{impl:10s} {r['layer']:8s} {r['ms']:.4f} x torch {min(torch.get(r['layer'], [0]))/r['ms']:.2f} {json.dumps(c, separators=(',', ':'), sort_keys=True)}")
P
