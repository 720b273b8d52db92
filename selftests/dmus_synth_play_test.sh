#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A real MIDI file through the software synthesizer playing the General MIDI
# bank converted from Debian's timgm6mb-soundfont (sf2bank), loaded with
# request_firmware (synth_bank=): aplaymidi to its sequencer port while
# arecord captures its PCM. The engine must play that bank, the capture must
# run without an overrun, hold sound, every channel message of the file
# must have been rendered (none dropped), and the capture must be, sample
# for sample, what the host build of the engine renders from the module's
# event log with the same bank file (synthcmp --bank); the render cost and
# the ticks over budget are printed.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
MIDI=${DMUS_MIDI:-/opt/dmus/midi}
FILE=${DMUS_SYNTH_FILE:-5432gone_redfarn.mid}
SECS=${DMUS_SYNTH_SECS:-64}
BANK=${DMUS_SYNTH_BANK:-dmus/timgm6mb.dmbk}

ktap_print_header
ktap_set_plan 5
[ -f "/lib/firmware/$BANK" ] || ktap_exit_fail_msg "/lib/firmware/$BANK: no such file (the converted GM bank)"
rmmod snd_dmus_mpu401 2>/dev/null
modprobe snd-dmus-mpu401 synth=1 synth_bank="$BANK" ||
	ktap_exit_fail_msg "modprobe snd-dmus-mpu401 synth=1 synth_bank=$BANK failed"
card=$(sed -n 's/^ *\([0-9]*\) \[DMusSynth.*/\1/p' /proc/asound/cards | head -n1)
dbg=$(ls -d /sys/kernel/debug/snd-dmus-mpu401-synth* | tail -n1)
port=$(aplaymidi -l | awk '/DMus Synth MIDI/ { print $1; exit }')
[ -n "$card" ] && [ -n "$port" ] || ktap_exit_fail_msg "no synthesizer card or port"

arecord -q -D "hw:$card,0" -f S16_LE -c 2 -r 48000 -t raw -d "$SECS" /tmp/synth.raw \
	>/tmp/arecord.log 2>&1 &
rec=$!
sleep 1
aplaymidi -p "$port" "$MIDI/$FILE"
wait $rec
rc=$?
sed 's/^/# arecord: /' /tmp/arecord.log
sed 's/^/# /' "$dbg/counters"

size=$(wc -c <"/lib/firmware/$BANK")
if [ "$(sed -n 's/^bank_bytes: //p' "$dbg/counters")" = "$size" ]; then
	ktap_test_pass "the engine plays $BANK ($size bytes)"
else
	ktap_test_fail "the engine plays $BANK ($size bytes)"
fi

if [ $rc -eq 0 ] && ! grep -q -i overrun /tmp/arecord.log; then
	ktap_test_pass "$FILE captured for $SECS s without an overrun"
else
	ktap_test_fail "$FILE captured for $SECS s without an overrun (arecord exit $rc)"
fi

# Frames that are not silent, of all frames captured (od: 16-bit words).
bytes=$(wc -c </tmp/synth.raw)
loud=$(od -An -v -t d2 -w4 /tmp/synth.raw | awk '$1 != 0 || $2 != 0 { n++ } END { print n + 0 }')
echo "# $bytes bytes captured, $loud frames not silent"
if [ "$bytes" -ge $(((SECS - 1) * 48000 * 4)) ] && [ "$loud" -gt $((48000 * 10)) ]; then
	ktap_test_pass "$FILE rendered to sound"
else
	ktap_test_fail "$FILE rendered to sound"
fi

played=$(sed -n 's/^played: //p' "$dbg/counters")
dropped=$(sed -n 's/^dropped: //p' "$dbg/counters")
ns=$(sed -n 's/^render_ns: //p' "$dbg/counters")
vf=$(sed -n 's/^voice_frames: //p' "$dbg/counters")
frames=$(sed -n 's/^frames: //p' "$dbg/counters")
awk -v ns="$ns" -v vf="$vf" -v fr="$frames" 'BEGIN { if (vf > 0 && fr > 0)
	printf "# render cost: %.0f ns a frame, %.1f ns a voice-frame: %.2f %% of a CPU a voice at 48 kHz\n",
		ns / fr, ns / vf, ns / vf * 48000 / 1e7 }'
if [ "$played" -gt 1000 ] && [ "$dropped" -eq 0 ]; then
	ktap_test_pass "every channel message of $FILE rendered ($played, none dropped)"
else
	ktap_test_fail "every channel message of $FILE rendered ($played played, $dropped dropped)"
fi
if ${DMUS_SYNTHCMP:-/opt/dmus/synthcmp} "$dbg/events" /tmp/synth.raw --bank "/lib/firmware/$BANK" \
	>/tmp/synthcmp.txt 2>&1; then
	sed 's/^/# /' /tmp/synthcmp.txt
	ktap_test_pass "the capture is the host engine's replay of the event log, sample for sample"
else
	sed 's/^/# /' /tmp/synthcmp.txt
	ktap_test_fail "the capture is the host engine's replay of the event log, sample for sample"
fi
rmmod snd_dmus_mpu401
ktap_finished
