"""Writes bench/s9a_candidates.txt: each layer's best imma_wgmma config so far, then up to 8 warp-specialized
twins and variants of it (min_blocks, stages, wgmma_in_flight, persistent) that the rules accept and that compile for
sm_90a without spills. Needs a built q3d (Q3D, default .build/debug/q3d) and NVRTC; run from the repository root."""
import json, os, re, subprocess, itertools, sys
Q = os.environ.get("Q3D", ".build/debug/q3d")
bases = [
 ("r3d.stem", '{"a_vector":4,"block_k":32,"block_m":256,"block_n":64,"min_blocks":1,"raster_group":1,"split_k":1,"staged_output":1,"stages":5,"warpgroups":1,"wgmma_in_flight":1}'),
 ("r3d.l1", '{"a_vector":16,"block_k":64,"block_m":256,"block_n":64,"min_blocks":2,"raster_group":1,"split_k":1,"staged_output":1,"stages":4,"warpgroups":2,"wgmma_in_flight":0}'),
 ("r3d.l2", '{"a_vector":16,"block_k":128,"block_m":192,"block_n":128,"min_blocks":1,"raster_group":1,"split_k":1,"staged_output":1,"stages":5,"warpgroups":3,"wgmma_in_flight":1}'),
 ("r3d.l3", '{"a_vector":16,"block_k":128,"block_m":128,"block_n":128,"min_blocks":1,"raster_group":1,"split_k":1,"staged_output":1,"stages":5,"warpgroups":2,"wgmma_in_flight":1}'),
 ("r2p1d.s", '{"a_vector":16,"block_k":64,"block_m":128,"block_n":144,"min_blocks":2,"raster_group":1,"split_k":1,"staged_output":1,"stages":5,"warpgroups":2,"wgmma_in_flight":1}'),
 ("r2p1d.t", '{"a_vector":16,"block_k":128,"block_m":128,"block_n":64,"min_blocks":2,"persistent":1,"raster_group":8,"split_k":1,"staged_output":1,"stages":4,"warpgroups":2,"wgmma_in_flight":1}'),
 ("i3d.pw", '{"a_vector":16,"block_k":64,"block_m":192,"block_n":64,"min_blocks":2,"persistent":1,"raster_group":4,"split_k":1,"staged_output":1,"stages":4,"warpgroups":3,"wgmma_in_flight":1}'),
 ("unet.64", '{"a_vector":16,"block_k":64,"block_m":256,"block_n":64,"min_blocks":2,"raster_group":1,"split_k":1,"stages":5,"warpgroups":2,"wgmma_in_flight":1}'),
 ("r3d.l3", '{"a_vector":16,"block_k":128,"block_m":192,"block_n":128,"min_blocks":1,"raster_group":1,"split_k":1,"staged_output":1,"stages":4,"stream_k":1,"warpgroups":3,"wgmma_in_flight":1}'),
]
def ok(layer, c):
    r = subprocess.run([Q, "compile", "--layer", layer, "--impl", "imma_wgmma", "--arch", "sm_90a", "--out", "int8",
                        "--config", json.dumps(c), "--cubin", "/tmp/s9a_candidate.cubin"], capture_output=True, text=True)
    if r.returncode != 0: return None
    line = r.stdout.strip().splitlines()[0]
    m = re.search(r"(\d+) registers, (\d+) spill bytes", line)
    return f"{m.group(1)} registers" if m and m.group(2) == "0" else None
rows = []
for layer, base in bases:
    b = json.loads(base)
    rows.append((layer, b, "base"))
    # The base shape (up to 6 variants), then smaller tiles per block (up to 2 each) that keep two blocks per SM
    # within the registers a producer warpgroup leaves.
    shapes = [((b["block_m"], b["warpgroups"]), 6), ((128, 1), 2), ((128, 2), 2), ((192, 3), 2)]
    seen = set()
    picked = 0
    for (bm, wg), limit in shapes:
        taken = 0
        for mb, dst, infl, pers in itertools.product(
                [b["min_blocks"], 1, 2], [0, 1, -1], [b["wgmma_in_flight"], 1 - b["wgmma_in_flight"]], [b.get("persistent", 0), 1]):
            if taken >= limit: break
            c = dict(b); c["warp_specialized"] = 1; c["min_blocks"] = mb; c["stages"] = b["stages"] + dst; c["wgmma_in_flight"] = infl
            c["block_m"] = bm; c["warpgroups"] = wg
            if pers: c["persistent"] = 1
            else: c.pop("persistent", None)
            key = json.dumps(c, sort_keys=True)
            if key in seen: continue
            seen.add(key)
            res = ok(layer, c)
            if res:
                rows.append((layer, c, res)); taken += 1; picked += 1
    print(layer, picked, file=sys.stderr)
with open("bench/s9a_candidates.txt", "w") as f:
    f.write("# Session 9: each layer's best imma_wgmma config so far, then warp-specialized twins and variants (min_blocks,\n")
    f.write("# stages, wgmma_in_flight, persistent, smaller tiles) that compile for sm_90a without spills (NVRTC 13.5, 2026-12-08)\n")
    for layer, c, res in rows:
        f.write(f"{layer} {json.dumps(c, separators=(',', ':'), sort_keys=True)}\n")
for layer, c, res in rows: print(layer, res, file=sys.stderr)
