#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job (`make run`): set up, build, boot the VM, load the module, show
# what the kernel says about it, unload it.

. "$(dirname "$0")/build.sh"

start=$SECONDS
build_all
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_guest "$stage"
cat >"$stage/run.sh" <<'GUEST'
set -e
file=/opt/dmus/midi/5432gone_redfarn.mid
echo "== modprobe snd-dmus-mpu401 virt=1 (one virtual MPU-401, 31250 baud cable)"
modprobe snd-dmus-mpu401 virt=1
dmesg | grep snd_dmus_mpu401
cat /proc/asound/cards
aplaymidi -l
echo "== warm-up: a short file first (under TCG the first use of each code path"
echo "   costs ~10 ms of translation, which would land on the first message)"
/opt/dmus/dmus_play.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm.mid | grep -E "^(events|verdict)"
echo "== aplaymidi $(basename $file) -> DMus MPU-401 -> cable -> arecordmidi"
/opt/dmus/dmus_play.sh "$file" /tmp/rec.mid
echo "== /proc/asound/card0/midi0"
cat /proc/asound/card0/midi0
echo "== rmmod snd_dmus_mpu401"
rmmod snd_dmus_mpu401
dmesg | tail -n 1
GUEST
phase vm bash "$TOP/scripts/vm.sh" "$stage" 300
log "make run: done in $((SECONDS - start)) s"
