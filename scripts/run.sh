#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job (`make run`): set up, build, boot the VM, load the module on a
# virtual MPU-401, play a real MIDI file both ways (aplaymidi through the
# sequencer port, dmusplay through the DMus device), record each back,
# compare, and print both paths' timing side by side; then unload. Then the
# same file through the software synthesizer (synth=1), captured from its
# PCM with arecord and saved as a WAV on the host ($DMUS_CACHE/synth.wav).

. "$(dirname "$0")/build.sh"

start=$SECONDS
build_all
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_guest "$stage"
cat >"$stage/run.sh" <<'GUEST'
set -e
/opt/dmus/selftests/dmus/dmus_reports --baseline
file=/opt/dmus/midi/5432gone_redfarn.mid
echo "== modprobe snd-dmus-mpu401 virt=1 (one virtual MPU-401, 31250 baud cable)"
modprobe snd-dmus-mpu401 virt=1
dmesg | grep snd_dmus_mpu401
cat /proc/asound/cards
echo "hwdep: $(cat /proc/asound/hwdep)"
aplaymidi -l
/opt/dmus/guest-compare.sh "$file"
echo "== /proc/asound/card0/midi0"
cat /proc/asound/card0/midi0
echo "== rmmod snd_dmus_mpu401"
rmmod snd_dmus_mpu401
dmesg | tail -n 1
/opt/dmus/guest-synth.sh "$file" 64
echo "== kernel log scan"
/opt/dmus/selftests/dmus/dmus_reports -t no_kernel_reports
GUEST
# The second serial port (the guest's ttyS1) carries the synthesizer's WAV.
wav=$DMUS_CACHE/synth.wav
rm -f "$wav.serial"
set +e
DMUS_QEMU_ARGS="-serial file:$wav.serial" phase vm bash "$TOP/scripts/vm.sh" "$stage" 900 |
	tee "$stage/vm.out"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || exit "$rc"
sent=$(tr -d '\r' <"$stage/vm.out" | sed -n 's/^DMUS-WAV-SENT=//p')
got=$(stat -c %s "$wav.serial" 2>/dev/null || echo 0)
if [ -n "$sent" ] && [ "$got" -eq "$sent" ]; then
	mv "$wav.serial" "$wav"
	log "the synthesizer's recording: $wav ($(du -h "$wav" | cut -f1), S16_LE stereo 48 kHz)"
else
	die "the synthesizer's WAV did not arrive whole (sent ${sent:-nothing}, got $got bytes)"
fi
log "make run: done in $((SECONDS - start)) s"
