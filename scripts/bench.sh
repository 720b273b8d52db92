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
table=/tmp/table
modprobe snd-dmus-mpu401 virt=1
/opt/dmus/dmus_play.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm.mid | grep -E "^verdict"
/opt/dmus/dmus_dmusplay.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm | grep -E "^verdict"
for f in $FILES; do
	/opt/dmus/guest-compare.sh "/opt/dmus/midi/\$f" "\$table"
done
echo "== wire timing: start of each burst's first message against its intended time, ms"
echo "   (aplaymidi: file time + fitted offset; aplay+rate: fitted offset and rate;"
echo "   dmusplay: presentation time); early = started before the intended time"
printf '%-10s %-28s %5s %8s %8s %8s %6s %9s  %s\n' path file msgs median p99 max early "late>1ms" recording
cat "\$table"
echo "== capture stamps (dmusrec) against the wire arrival of each message's first byte, ms"
printf '%-10s %-28s %5s %8s %8s %8s %6s\n' tool file msgs median p99 max before
cat "\$table.stamps"
rmmod snd_dmus_mpu401
GUEST
phase vm bash "$TOP/scripts/vm.sh" "$stage" 1500
log "make bench: done in $((SECONDS - start)) s"
