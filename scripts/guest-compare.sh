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
# of all files.
#
# Usage: guest-compare.sh FILE...
table=/tmp/compare-table
wire=/sys/kernel/debug/snd-dmus-mpu401-virt0/wire
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

compare() {
	file=$1
	name=$(basename "$file")
	out=/tmp/compare-$name
	mkdir -p "$out"
	echo "== $name, path 1: aplaymidi -> sequencer port -> DMus MPU-401 -> cable -> arecordmidi"
	from=$(tail -n 1 "$wire" | awk '/^[0-9]/ { print $1 + 1; exit } { print 0 }')
	dmus_play.sh "$file" "$out/aplay-rec.mid" | grep -E "^(events|verdict)"
	cp "$wire" "$out/aplay-wire.log"
	midicmp sched "$file" "$out/aplay-wire.log" --fit --from-ns "$from" --label aplaymidi
	midicmp sched "$file" "$out/aplay-wire.log" --fit --from-ns "$from" --label aplaymidi \
		--json >"$out/aplay.json"
	row aplaymidi "$out/aplay.json" "$(verdict "$file" "$out/aplay-rec.mid")"
	midicmp sched "$file" "$out/aplay-wire.log" --fit-rate --from-ns "$from" \
		--label "aplaymidi, rate fitted" | sed -n 's/^  origin  : .*(fitted: rate \([-+0-9]*\) ppm.*/  its clock against CLOCK_MONOTONIC: \1 ppm/p'
	midicmp sched "$file" "$out/aplay-wire.log" --fit-rate --from-ns "$from" \
		--label "aplaymidi, rate fitted" --json >"$out/aplay-rate.json"
	row "aplay+rate" "$out/aplay-rate.json" "(rate $(field "$out/aplay-rate.json" rate_ppm) ppm)"

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
dmus_play.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm.mid | grep -E "^verdict"
dmus_dmusplay.sh /opt/dmus/midi/pgmassign_advanced.mid /tmp/warm | grep -E "^verdict"
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
echo "== capture stamps (dmusrec) against the wire arrival of each message's first byte, ms"
printf '%-10s %-28s %5s %8s %8s %8s %6s\n' tool file msgs median p99 max before
cat "$table.stamps"
