#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: the timing figures, not a test. Plays three real MIDI files
# both ways (aplaymidi through the sequencer port, dmusplay through the DMus
# device) on one virtual MPU-401 in one boot of the fast kernel, scores each
# against the virtual cable's wire log (scripts/guest-compare.sh), and prints
# one table, plus dmusrec's capture stamps against the wire arrival times.
# About 9 minutes: the files play in real time.

. "$(dirname "$0")/build.sh"

FILES=${DMUS_BENCH_FILES:-"5432gone_redfarn.mid coconut_run2.mid tttheme2.mid"}
start=$SECONDS
build_all
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_guest "$stage"
cat >"$stage/run.sh" <<GUEST
set -e
modprobe snd-dmus-mpu401 virt=1
/opt/dmus/guest-compare.sh $(for f in $FILES; do printf ' /opt/dmus/midi/%s' "$f"; done)
rmmod snd_dmus_mpu401
/opt/dmus/selftests/dmus/dmus_reports -t no_kernel_reports
GUEST
phase vm bash "$TOP/scripts/vm.sh" "$stage" 1500
log "make bench: done in $((SECONDS - start)) s"
