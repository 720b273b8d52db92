#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the VM (make run): FILE through the software synthesizer. Loads the
# module with synth=1 and the GM bank converted from timgm6mb-soundfont
# (synth_bank=dmus/timgm6mb.dmbk), captures its PCM with arecord while aplaymidi plays
# the file to its sequencer port, prints the card, the render counters and
# where each event started against the sample of its presentation time,
# then sends the WAV to the host through the second serial port (ttyS1),
# when there is one.
#
# Usage: guest-synth.sh FILE SECONDS
FILE=${1:?usage: guest-synth.sh FILE SECONDS}
SECS=${2:?usage: guest-synth.sh FILE SECONDS}
WAV=/tmp/synth.wav
BANK=dmus/timgm6mb.dmbk

echo "== modprobe snd-dmus-mpu401 synth=1 synth_bank=$BANK (the DLS software synthesizer, 48 kHz, D = 20 ms, the GM bank converted from timgm6mb-soundfont)"
[ -f "/lib/firmware/$BANK" ] || { echo "/lib/firmware/$BANK: no such file"; exit 1; }
modprobe snd-dmus-mpu401 synth=1 synth_bank="$BANK" || exit 1
dmesg | grep "synth_bank=" | tail -n1
card=$(sed -n 's/^ *\([0-9]*\) \[DMusSynth.*/\1/p' /proc/asound/cards | head -n1)
dbg=$(ls -d /sys/kernel/debug/snd-dmus-mpu401-synth* | tail -n1)
port=$(aplaymidi -l | awk '/DMus Synth MIDI/ { print $1; exit }')
grep -A1 DMusSynth /proc/asound/cards
grep DMusSynth /proc/asound/pcm
echo "== arecord -D hw:$card,0 (S16_LE, 2 channels, 48000 Hz, $SECS s) while aplaymidi -p $port $(basename "$FILE")"
arecord -q -D "hw:$card,0" -f S16_LE -c 2 -r 48000 -d "$SECS" "$WAV" &
rec=$!
sleep 1
aplaymidi -p "$port" "$FILE"
wait $rec || echo "arecord failed"
echo "== counters"
cat "$dbg/counters"
awk '/^render_ns/ { ns = $2 } /^frames/ { fr = $2 } /^voice_frames/ { vf = $2 }
	END { if (fr > 0 && vf > 0)
		printf "render cost: %.0f ns a frame, %.1f ns a voice-frame (%.2f %% of a CPU a voice at 48 kHz), %.1f voices on average\n",
			ns / fr, ns / vf, ns / vf * 48000 / 1e7, vf / fr }' "$dbg/counters"
echo "== where each note-on started, against RefTimeToSample(presentation time), frames"
origin=$(sed -n 's/^origin_time: //p' "$dbg/clock")
awk -v origin="$origin" '
	function hex(s,   i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	/^#/ { next }
	{ st = hex($4); vel = hex($6) }
	st >= 0x90 && st < 0xa0 && vel > 0 {
		want = int(($2 - origin) * 48000 / 10000000); d = $1 - want
		n++; if (d == 0) exact++; if (d > max) max = d; sum += d
	}
	END { printf "note-ons %d: on their sample %d, late %d (at most %d frames = %.2f ms)\n",
		n, exact, n - exact, max, max / 48 }' "$dbg/events"
ls -l "$WAV"
if [ -e /dev/ttyS1 ] && stty -F /dev/ttyS1 raw -echo 2>/dev/null; then
	size=$(wc -c <"$WAV")
	echo "== sending $WAV ($size bytes) to the host"
	cat "$WAV" >/dev/ttyS1
	echo "DMUS-WAV-SENT=$size"
fi
rmmod snd_dmus_mpu401
