#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job (`make run`): set up, build, boot the VM, load the module on a
# virtual MPU-401, play a real MIDI file both ways (aplaymidi through the
# sequencer port, dmusplay through the DMus device), record each back,
# compare, and print both paths' timing side by side; then unload.

. "$(dirname "$0")/build.sh"

start=$SECONDS
build_all
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_guest "$stage"
cat >"$stage/run.sh" <<'GUEST'
set -e
/opt/dmus/selftests/dmus/dmus_reports --baseline
file=/opt/dmus/midi/5432gone_redfarn.mid
echo "== modprobe snd-dmus-mpu401 virt=1 (one virtual MPU-401, 31250 baud cable)"
modprobe snd-dmus-mpu401 virt=1
dmesg | grep snd_dmus_mpu401
cat /proc/asound/cards
echo "hwdep: $(cat /proc/asound/hwdep)"
aplaymidi -l
/opt/dmus/guest-compare.sh "$file"
echo "== /proc/asound/card0/midi0"
cat /proc/asound/card0/midi0
echo "== rmmod snd_dmus_mpu401"
rmmod snd_dmus_mpu401
dmesg | tail -n 1
echo "== kernel log scan"
/opt/dmus/selftests/dmus/dmus_reports -t no_kernel_reports
GUEST
phase vm bash "$TOP/scripts/vm.sh" "$stage" 600
log "make run: done in $((SECONDS - start)) s"
