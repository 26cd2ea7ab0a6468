"""Prints one line per verified candidate run of a device call: layer, median ms (fastest-slowest), the ratio to the
faster PyTorch fp16 channels-last timing of the same call, whether it verified, and the config.
Usage: python3 Scripts/candidates_table.py OUT  (OUT holds torch_first.json, torch.json, candidates_imma_wgmma.jsonl)"""
import json
import sys

out = sys.argv[1]
torch = {}
for name in ["torch_first.json", "torch.json"]:
    for row in json.load(open(f"{out}/{name}"))["layers"]:
        torch.setdefault(row["name"], []).append(row["fp16cl"]["ms"])
for line in open(f"{out}/candidates_imma_wgmma.jsonl"):
    r = json.loads(line)
    c = r["config"] if isinstance(r["config"], dict) else json.loads(r["config"])
    print(f"{r['layer']:7s} {r['ms']:.4f} ({r['ms_min']:.4f}-{r['ms_max']:.4f}) x {min(torch[r['layer']]) / r['ms']:.2f} "
          f"{r['verified']} {json.dumps(c, separators=(',', ':'), sort_keys=True)}")
