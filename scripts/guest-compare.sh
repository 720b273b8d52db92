#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM (make run, make bench): plays each FILE both ways on the first
# virtual MPU-401 and scores each against the virtual cable's wire log:
#   1. aplaymidi -> sequencer port -> rawmidi -> cable -> arecordmidi; the
#      intended time of a message is its file time plus one offset fitted to
#      the play (median error 0); a second row also fits a rate (the ALSA
#      sequencer queue's clock may run fast or slow against CLOCK_MONOTONIC),
#      leaving only its jitter;
#   2. dmusplay -> DMus device (presentation times) -> cable -> dmusrec; the
#      intended time is the presentation time.
# Only the first message of each burst is scored (the rest queue on the
# cable at 320 us a byte). A short file is played both ways first as a
# warm-up (under TCG the first use of each code path costs ~10 ms of
# translation, which would land on the first message). Ends with one table
# of all files. With DMUS_COMPARE_PEER=1 (make bench), only path 1 runs, on
# the peer (snd-dmus-peer: the in-tree snd-mpu401-uart on an identical
# virtual MPU-401, peer0), rows "peer-aplay" and "peer+rate". Each file's
# figures stay in /tmp/compare-FILE/ (*.json) for scripts/guest-bench.sh.
#
# Usage: guest-compare.sh FILE...
table=/tmp/compare-table
PATH=/opt/dmus:$PATH

# A JSON field of midicmp's one-line reports.
field() { sed -n "s/.*\"$2\":\(-\{0,1\}[0-9]*\).*/\1/p" "$1"; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'; }
row() {
	if [ "$(field "$2" matched)" = "" ] && ! grep -q '"matched":true' "$2"; then
		printf '%-10s %-28s %s\n' "$1" "$name" "no match (see above)" >>"$table"
		return
	fi
	printf '%-10s %-28s %5s %8s %8s %8s %6s %9s  %s\n' "$1" "$name" \
		"$(field "$2" leaders)" "$(ms "$(field "$2" median_ns)")" \
		"$(ms "$(field "$2" p99_abs_ns)")" "$(ms "$(field "$2" max_abs_ns)")" \
		"$(field "$2" early)" "$(field "$2" late_1ms)" "$3" >>"$table"
}
verdict() { midicmp compare "$1" "$2" | sed -n 's/^verdict  : //p'; }

# Path 1 on the card whose sequencer port and debugfs directory are named
# $3 (virt0: ours; peer0: the in-tree snd-mpu401-uart, make bench only),
# rows labelled $1 and $2 (rate fitted).
aplay_path() {
	wire=/sys/kernel/debug/snd-dmus-mpu401-$3/wire
	echo "== $name, path 1 on $3: aplaymidi -> sequencer port -> MPU-401 -> cable -> arecordmidi"
	from=$(tail -n 1 "$wire" | awk '/^[0-9]/ { print $1 + 1; exit } { print 0 }')
	DMUS_PORT_MATCH=$3 dmus_play.sh "$file" "$out/$3-rec.mid" | grep -E "^(events|verdict)"
	cp "$wire" "$out/$3-wire.log"
	midicmp sched "$file" "$out/$3-wire.log" --fit --from-ns "$from" --label "$1"
	midicmp sched "$file" "$out/$3-wire.log" --fit --from-ns "$from" --label "$1" \
		--json >"$out/$3-aplay.json"
	row "$1" "$out/$3-aplay.json" "$(verdict "$file" "$out/$3-rec.mid")"
	midicmp sched "$file" "$out/$3-wire.log" --fit-rate --from-ns "$from" \
		--label "$1, rate fitted" | sed -n 's/^  origin  : .*(fitted: rate \([-+0-9]*\) ppm.*/  its clock against CLOCK_MONOTONIC: \1 ppm/p'
	midicmp sched "$file" "$out/$3-wire.log" --fit-rate --from-ns "$from" \
		--label "$1, rate fitted" --json >"$out/$3-aplay-rate.json"
	row "$2" "$out/$3-aplay-rate.json" "(rate $(field "$out/$3-aplay-rate.json" rate_ppm) ppm)"
}

compare() {
	file=$1
	name=$(basename "$file")
	out=/tmp/compare-$name
	mkdir -p "$out"
	if [ -n "$DMUS_COMPARE_PEER" ]; then
		aplay_path peer-aplay peer+rate peer0
		return
	fi
	aplay_path aplaymidi aplay+rate virt0

	echo "== $name, path 2: dmusplay -> DMus device -> cable -> DMus device -> dmusrec"
	dmus_dmusplay.sh "$file" "$out/dmus" dmusplay
	from=$(cat "$out/dmus/from_ns")
	midicmp sched "$file" "$out/dmus/wire.log" --t0 "$(cat "$out/dmus/t0")" --from-ns "$from" \
		--label dmusplay --json >"$out/dmus.json"
	row dmusplay "$out/dmus.json" "$(verdict "$file" "$out/dmus/rec.mid")"
	midicmp stamps "$out/dmus/stamps.txt" "$out/dmus/wire.log" --from-ns "$from" --json \
		>"$out/stamps.json"
	printf '%-10s %-28s %5s %8s %8s %8s %6s\n' "dmusrec" "$name" \
		"$(field "$out/stamps.json" messages)" "$(ms "$(field "$out/stamps.json" median_ns)")" \
		"$(ms "$(field "$out/stamps.json" p99_abs_ns)")" "$(ms "$(field "$out/stamps.json" max_abs_ns)")" \
		"$(field "$out/stamps.json" before)" >>"$table.stamps"
}

echo "== warm-up: a short file both ways"
if [ -n "$DMUS_COMPARE_PEER" ]; then
	DMUS_PORT_MATCH=peer0 dmus_play.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm.mid |
		grep -E "^verdict"
else
	DMUS_PORT_MATCH=virt0 dmus_play.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm.mid |
		grep -E "^verdict"
	dmus_dmusplay.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm | grep -E "^verdict"
fi
rm -f "$table" "$table.stamps"
for f in "$@"; do
	compare "$f"
done
echo "== side by side: start of each burst's first message on the wire against its"
echo "   intended time (aplaymidi: file time + fitted offset; aplay+rate: fitted"
echo "   offset and rate, jitter only; dmusplay: presentation time); ms;"
echo "   early = started before the intended time"
printf '%-10s %-28s %5s %8s %8s %8s %6s %9s  %s\n' path file msgs median p99 max early "late>1ms" recording
cat "$table"
[ -n "$DMUS_COMPARE_PEER" ] && exit 0
echo "== capture stamps (dmusrec) against the wire arrival of each message's first byte, ms"
printf '%-10s %-28s %5s %8s %8s %8s %6s\n' tool file msgs median p99 max before
cat "$table.stamps"
