#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dmusplay -> DMus device -> virtual MPU-401 (31250-baud cable OUT to IN) ->
# DMus device -> dmusrec, on real MIDI files: every message starts on the
# wire at or after its presentation time (checked against the debugfs wire
# log), every capture stamp is at or after its message's arrival, and the
# recording is event-exact. Then the recording, played again with dmusplay,
# records event-exact (dmusrec -> dmusplay round trip).
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
MIDI=${DMUS_MIDI:-/opt/dmus/midi}
FILES="polyaft.mid pgmassign_advanced.mid midichn_advanced.mid"
OUT=/tmp/dmus-dmusplay

ktap_print_header
ktap_set_plan 6
for tool in dmusplay dmusrec midicmp; do
	[ -x "/opt/dmus/$tool" ] || ktap_exit_fail_msg "/opt/dmus/$tool missing"
done
rmmod snd_dmus_mpu401 2>/dev/null
dmesg -c >/dev/null
modprobe snd-dmus-mpu401 virt=1 pnp=0,0,0,0,0,0,0,0 ||
	ktap_exit_fail_msg "modprobe snd-dmus-mpu401 virt=1 failed"
for f in $FILES; do
	if "$DIR/dmus_dmusplay.sh" "$MIDI/$f" "$OUT/$f" "$f" >/tmp/dmus-cmp.txt 2>&1; then
		sed 's/^/# /' /tmp/dmus-cmp.txt
		ktap_test_pass "$f: on time (none early), stamps after arrival, event-exact"
	else
		sed 's/^/# /' /tmp/dmus-cmp.txt
		ktap_test_fail "$f: on time (none early), stamps after arrival, event-exact"
	fi
done
# The recording of the last file, played again, records the same.
last=$(echo $FILES | awk '{ print $NF }')
if "$DIR/dmus_dmusplay.sh" "$OUT/$last/rec.mid" "$OUT/again" "recorded $last" \
	>/tmp/dmus-cmp.txt 2>&1 &&
	/opt/dmus/midicmp compare "$OUT/$last/rec.mid" "$OUT/again/rec.mid" >>/tmp/dmus-cmp.txt; then
	sed 's/^/# /' /tmp/dmus-cmp.txt
	ktap_test_pass "dmusrec -> dmusplay round trip is event-exact"
else
	sed 's/^/# /' /tmp/dmus-cmp.txt
	ktap_test_fail "dmusrec -> dmusplay round trip is event-exact"
fi
# Ctrl-C: dmusplay drops what it queued, the channels used get All Notes
# Off (control 123), and the wire falls silent.
wire=/sys/kernel/debug/snd-dmus-mpu401-virt0/wire
from=$(tail -n 1 "$wire" | awk '/^[0-9]/ { print $1 + 1; exit } { print 0 }')
/opt/dmus/dmusplay "$MIDI/5432gone_redfarn.mid" 2>/tmp/dmus-int.txt &
player=$!
sleep 3
kill -INT "$player"
wait "$player"
rc=$?
sleep 1
before=$(wc -l <"$wire")
sleep 1
after=$(wc -l <"$wire")
offs=$(awk -v from="$from" '$1 >= from { print $2 }' "$wire" | tr '\n' ' ' |
	grep -o -E "b[0-9a-f] 7b 00" | wc -l)
if [ "$rc" -eq 130 ] && [ "$offs" -gt 0 ] && [ "$before" -eq "$after" ]; then
	ktap_test_pass "Ctrl-C drops the queue, sends All Notes Off ($offs) and the wire falls silent"
else
	sed 's/^/# /' /tmp/dmus-int.txt
	echo "# exit $rc, $offs All Notes Off, wire lines $before then $after"
	ktap_test_fail "Ctrl-C drops the queue, sends All Notes Off and the wire falls silent"
fi
rmmod snd_dmus_mpu401
if dmesg | grep -E "WARNING|BUG|Oops|KASAN|UBSAN|lockdep|snd_dmus_mpu401.*(error|warn)" >/tmp/dmus-klog.txt; then
	sed 's/^/# /' /tmp/dmus-klog.txt
	ktap_test_fail "kernel log clean"
else
	ktap_test_pass "kernel log clean"
fi
ktap_finished
