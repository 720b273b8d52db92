#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The peer of make bench: the in-tree snd-mpu401-uart driving a virtual
# MPU-401 of ours (snd-dmus-mpu401 peer=1, then snd-dmus-peer) is a normal
# ALSA card: it is listed (cards, amidi), real files loop back through its
# rawmidi device byte-exact (read back and on the wire log),
# aplaymidi/arecordmidi through its sequencer port come back event-exact,
# and both modules unload.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
PATH=/opt/dmus:$PATH
RAW=${DMUS_RAW_DIR:-/opt/dmus/raw}
MIDI=${DMUS_MIDI:-/opt/dmus/midi}
RAW_FILES="polyaft midichn_advanced 5432gone_redfarn"
SEQ_FILES="polyaft.mid pgmassign_advanced.mid"

ktap_print_header
ktap_set_plan 8
rmmod snd_dmus_peer snd_dmus_mpu401 2>/dev/null
if ! modprobe snd-dmus-mpu401 peer=1 pnp=0,0,0,0,0,0,0,0; then
	ktap_exit_fail_msg "modprobe snd-dmus-mpu401 peer=1 failed"
fi
if modprobe snd-dmus-peer && grep -q " - MPU-401 UART peer0$" /proc/asound/cards; then
	ktap_test_pass "snd-dmus-peer loads: card 'MPU-401 UART peer0'"
else
	sed 's/^/# /' /proc/asound/cards
	ktap_test_fail "snd-dmus-peer loads: card 'MPU-401 UART peer0'"
fi
if amidi -l | grep -q "MPU-401 UART peer0 MIDI"; then
	ktap_test_pass "amidi -l lists the peer's rawmidi device"
else
	amidi -l | sed 's/^/# /'
	ktap_test_fail "amidi -l lists the peer's rawmidi device"
fi
for f in $RAW_FILES; do
	if [ ! -f "$RAW/$f.raw" ]; then
		ktap_test_fail "$f.raw: missing from $RAW"
	elif "$DIR/dmus_bench" loop peer "$RAW/$f.raw" >/tmp/dmus-peer.txt 2>&1; then
		sed 's/^/# /' /tmp/dmus-peer.txt
		ktap_test_pass "$f: rawmidi loopback through the peer byte-exact"
	else
		sed 's/^/# /' /tmp/dmus-peer.txt
		ktap_test_fail "$f: rawmidi loopback through the peer byte-exact"
	fi
done
for f in $SEQ_FILES; do
	if DMUS_PORT_MATCH=peer0 "$DIR/dmus_play.sh" "$MIDI/$f" /tmp/dmus-rec.mid \
		>/tmp/dmus-cmp.txt 2>&1; then
		grep -E "^(events|verdict)" /tmp/dmus-cmp.txt | sed 's/^/# /'
		ktap_test_pass "$f: aplaymidi/arecordmidi through the peer event-exact"
	else
		sed 's/^/# /' /tmp/dmus-cmp.txt
		ktap_test_fail "$f: aplaymidi/arecordmidi through the peer event-exact"
	fi
done
if rmmod snd_dmus_peer && rmmod snd_dmus_mpu401; then
	ktap_test_pass "snd-dmus-peer and snd-dmus-mpu401 unload"
else
	ktap_test_fail "snd-dmus-peer and snd-dmus-mpu401 unload"
fi
ktap_finished
