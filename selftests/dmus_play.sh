#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Plays FILE with aplaymidi to the DMus MPU-401's sequencer port while
# arecordmidi records from the same port (the virtual cable loops OUT to IN),
# then compares the two files with midicmp. Needs the module loaded with a
# virtual MPU-401. Exit status: midicmp's (0: event-exact).
# DMUS_PORT_MATCH (an awk pattern, default "DMus MPU-401") picks another
# port: "peer0" is the peer's (snd-dmus-peer).
#
# Usage: dmus_play.sh FILE [RECORDED]
file=$1
rec=${2:-/tmp/rec-$$.mid}
match=${DMUS_PORT_MATCH:-DMus MPU-401}

port=$(aplaymidi -l | awk -v m="$match" '$0 ~ m { print $1; exit }')
if [ -z "$port" ]; then
	echo "no sequencer port matching '$match' (is the module loaded with virt=1?)" >&2
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
