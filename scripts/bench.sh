#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: the figures, not a test. In one boot of the fast kernel,
# snd-dmus-mpu401 and the in-tree snd-mpu401-uart (through snd-dmus-peer) on
# identical virtual MPU-401s, one driver at a time (scripts/guest-bench.sh):
# throughput, capture latency, CPU cost per byte, 1/4/8 devices at once, and
# three real MIDI files through aplaymidi on both and dmusplay on ours, scored
# against the virtual cable's wire log (scripts/guest-compare.sh). Ends with
# one table, ours / peer per row, and a verdict line. About 17 minutes: the
# files play in real time.

. "$(dirname "$0")/build.sh"

FILES=${DMUS_BENCH_FILES:-"5432gone_redfarn.mid coconut_run2.mid tttheme2.mid"}
start=$SECONDS
build_all
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_guest "$stage"
cat >"$stage/run.sh" <<GUEST
set -e
/opt/dmus/selftests/dmus/dmus_reports --baseline
/opt/dmus/guest-bench.sh $(for f in $FILES; do printf ' /opt/dmus/midi/%s' "$f"; done)
/opt/dmus/selftests/dmus/dmus_reports -t no_kernel_reports
GUEST
phase vm bash "$TOP/scripts/vm.sh" "$stage" 2400
log "make bench: done in $((SECONDS - start)) s"
