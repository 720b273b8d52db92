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
ktap_set_plan 5
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
rmmod snd_dmus_mpu401
if dmesg | grep -E "WARNING|BUG|Oops|KASAN|UBSAN|lockdep|snd_dmus_mpu401.*(error|warn)" >/tmp/dmus-klog.txt; then
	sed 's/^/# /' /tmp/dmus-klog.txt
	ktap_test_fail "kernel log clean"
else
	ktap_test_pass "kernel log clean"
fi
ktap_finished
