#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Plays FILE with dmusplay through the DMus device (presentation times) while
# dmusrec records the loopback from the same device, then scores the play
# against the virtual cable's wire log. Needs the module loaded with one
# virtual MPU-401 (virt0). Prints midicmp's reports; leaves in OUTDIR:
# rec.mid, stamps.txt, wire.log, t0, from_ns.
#
# Usage: dmus_dmusplay.sh FILE OUTDIR [LABEL]
# Exit status: 0 when the recording is event-exact, no message started on
# the wire before its presentation time and no capture stamp is before its
# message's arrival; 1 otherwise; 2 when something is missing.
file=$1
out=$2
label=${3:-dmusplay}
wire=/sys/kernel/debug/snd-dmus-mpu401-virt0/wire
PATH=/opt/dmus:$PATH

if [ ! -r "$wire" ] || [ ! -r "$file" ]; then
	echo "missing $wire or $file (is the module loaded with virt=1?)" >&2
	exit 2
fi
mkdir -p "$out"
# Bytes of earlier plays are in the log: score only what arrives after now.
from=$(tail -n 1 "$wire" | awk '/^[0-9]/ { print $1 + 1; exit } { print 0 }')
echo "$from" >"$out/from_ns"
dmusrec --stamps "$out/stamps.txt" "$out/rec.mid" 2>"$out/dmusrec.err" &
recorder=$!
sleep 1
dmusplay --t0-out "$out/t0" "$file" 2>"$out/dmusplay.err"
played=$?
sleep 1
kill -INT "$recorder"
wait "$recorder"
cp "$wire" "$out/wire.log"
cat "$out/dmusplay.err" "$out/dmusrec.err"
[ "$played" -eq 0 ] || { echo "dmusplay failed ($played)"; exit 1; }
rc=0
midicmp sched "$file" "$out/wire.log" --t0 "$(cat "$out/t0")" --from-ns "$from" \
	--label "$label" --fail-early || rc=1
midicmp stamps "$out/stamps.txt" "$out/wire.log" --from-ns "$from" \
	--label "$label capture stamps" --fail-before || rc=1
midicmp compare "$file" "$out/rec.mid" | grep -E "^(events|verdict)" || rc=1
midicmp compare "$file" "$out/rec.mid" >/dev/null || rc=1
exit $rc
