#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Plays FILE with aplaymidi to the DMus MPU-401's sequencer port while
# arecordmidi records from the same port (the virtual cable loops OUT to IN),
# then compares the two files with midicmp. Needs the module loaded with a
# virtual MPU-401. Exit status: midicmp's (0: event-exact).
#
# Usage: dmus_play.sh FILE [RECORDED]
file=$1
rec=${2:-/tmp/rec-$$.mid}

port=$(aplaymidi -l | awk '/DMus MPU-401/ { print $1; exit }')
if [ -z "$port" ]; then
	echo "no DMus MPU-401 sequencer port (is the module loaded with virt=1?)" >&2
	exit 2
fi
# A 10 us recording grid (600 bpm, 10000 ticks per beat) keeps the file's own
# rounding out of the timing figures.
arecordmidi -p "$port" -b 600 -t 10000 "$rec" &
recorder=$!
sleep 1
aplaymidi -p "$port" "$file"
sleep 1
kill -INT "$recorder"
wait "$recorder"
midicmp compare "$file" "$rec"
