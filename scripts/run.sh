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
file=/opt/dmus/midi/5432gone_redfarn.mid
table=/tmp/table
echo "== modprobe snd-dmus-mpu401 virt=1 (one virtual MPU-401, 31250 baud cable)"
modprobe snd-dmus-mpu401 virt=1
dmesg | grep snd_dmus_mpu401
cat /proc/asound/cards
echo "hwdep: $(cat /proc/asound/hwdep)"
aplaymidi -l
echo "== warm-up: a short file both ways first (under TCG the first use of each"
echo "   code path costs ~10 ms of translation, which would land on the first message)"
/opt/dmus/dmus_play.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm.mid | grep -E "^verdict"
/opt/dmus/dmus_dmusplay.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm | grep -E "^verdict"
/opt/dmus/guest-compare.sh "$file" "$table"
echo "== side by side: $(basename "$file"), start of each burst's first message on the wire"
echo "   against its intended time (aplaymidi: file time + fitted offset; aplay+rate:"
echo "   fitted offset and rate, jitter only; dmusplay: presentation time); ms;"
echo "   early = started before the intended time"
printf '%-10s %-28s %5s %8s %8s %8s %6s %9s  %s\n' path file msgs median p99 max early "late>1ms" recording
cat "$table"
echo "== capture stamps (dmusrec) against the wire arrival of each message's first byte, ms"
printf '%-10s %-28s %5s %8s %8s %8s %6s\n' tool file msgs median p99 max before
cat "$table.stamps"
echo "== /proc/asound/card0/midi0"
cat /proc/asound/card0/midi0
echo "== rmmod snd_dmus_mpu401"
rmmod snd_dmus_mpu401
dmesg | tail -n 1
GUEST
phase vm bash "$TOP/scripts/vm.sh" "$stage" 600
log "make run: done in $((SECONDS - start)) s"
