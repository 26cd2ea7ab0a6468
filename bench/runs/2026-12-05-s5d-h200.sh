#!/usr/bin/env bash
# Session 5's last call (H200): imma_halo's old and new default configs verified and timed; the new defaults verified.
S=Scripts/gpu_session.sh
IMPL=imma_halo CANDIDATES=bench/halo_defaults_2026-12-05.txt bash $S candidates > /dev/null
IMPL=imma_halo CONFIGS=0 WORKLOADS=r3d.l1,unet.64,r3d.l3,r2p1d.t,r2p1d.s,r3d.l2 VERIFY_OUT=all bash $S verify-imma_halo > /dev/null
