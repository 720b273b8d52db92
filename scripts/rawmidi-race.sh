#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Reproduces the ALSA rawmidi race that Documentation/patches/0001-ALSA-
# rawmidi-copy-a-user-write-before-publishing-it.patch fixes, and checks the
# fix, in one boot of the fast kernel: four virtual MPU-401s driven by the
# in-tree snd-mpu401-uart (snd-dmus-mpu401 peer=4 and snd-dmus-peer) take
# DMUS_RACE_RUNS (5) runs of 1000 bursts of 48 bytes each, 20 ms apart,
# looped back (dmus_bench bursts), first on the kernel's own snd-rawmidi, then on
# snd-rawmidi rebuilt from the cached source with the patch applied. Prints
# the bursts that crossed the wire with bytes not written, for each. The race
# needs a transmit (the library's interrupt or its one-jiffy timer) inside the
# copy of a write, so it is rare: 0 to 3 bursts in 12000 on the stock core
# here, from runs on 2026-12-02.
# Exit status 1 when the patched core still has such bursts or a byte is
# lost; a stock count of 0 is reported, not a failure (the race is timing).
# About 4 minutes.

. "$(dirname "$0")/build.sh"

RUNS=${DMUS_RACE_RUNS:-5}
PATCH=$TOP/Documentation/patches/0001-ALSA-rawmidi-copy-a-user-write-before-publishing-it.patch
start=$SECONDS
build_all
work=$(mktemp -d)
stage=$(mktemp -d)
trap 'rm -rf "$work" "$stage"' EXIT

# snd-rawmidi from the cached source, patched, as an external module.
mkdir -p "$work/sound/core"
cp "$DMUS_CACHE/src/linux/sound/core/rawmidi.c" "$DMUS_CACHE/src/linux/sound/core/rawmidi_compat.c" \
	"$work/sound/core/"
patch -s -d "$work" -p1 <"$PATCH" || die "$PATCH does not apply to the cached kernel source"
printf 'obj-m := snd-rawmidi.o\nsnd-rawmidi-y := rawmidi.o\n' >"$work/sound/core/Kbuild"
phase rawmidi-patched make -C "$KBUILD" M="$work/sound/core" LLVM="$LLVM_SUFFIX" -s modules

stage_guest "$stage"
mkdir -p "$stage/rawmidi-patched"
cp "$work/sound/core/snd-rawmidi.ko" "$stage/rawmidi-patched/"
cat >"$stage/run.sh" <<GUEST
PATH=/opt/dmus:/opt/dmus/selftests/dmus:\$PATH
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
/opt/dmus/selftests/dmus/dmus_reports --baseline
# bursts LABEL: RUNS runs on four peers; prints "LABEL bad=N lost=0|1".
bursts() {
	bad=0 lost=0
	modprobe snd-dmus-mpu401 peer=4 pnp=0,0,0,0,0,0,0,0 && modprobe snd-dmus-peer || exit 1
	for r in \$(seq $RUNS); do
		out=\$(dmus_bench bursts peer 4 1000 2>/dev/null)
		rc=\$?
		echo "\$out"
		[ \$rc -eq 0 ] || [ \$rc -eq 3 ] || lost=1
		bad=\$((bad + \$(echo "\$out" | sed -n 's/.*bad_bursts=\([0-9]*\).*/\1/p')))
	done
	rmmod snd_dmus_peer snd_dmus_mpu401 || exit 1
	echo "\$1 bad=\$bad lost=\$lost"
}
echo "== the kernel's own snd-rawmidi"
bursts stock
for m in \$(lsmod | awk '\$1 == "snd_rawmidi" { print \$4 }' | tr , ' '); do
	rmmod "\$m" || exit 1
done
rmmod snd_rawmidi || exit 1
insmod /opt/dmus/rawmidi-patched/snd-rawmidi.ko || exit 1
echo "== snd-rawmidi with the patch"
bursts patched
/opt/dmus/selftests/dmus/dmus_reports -t no_kernel_reports
GUEST
out=$work/guest.log
phase vm bash "$TOP/scripts/vm.sh" "$stage" 1800 | tee "$out"
stock=$(sed -n 's/^stock bad=\([0-9]*\) lost=\([01]\).*/\1 \2/p' "$out" | tr -d '\r')
patched=$(sed -n 's/^patched bad=\([0-9]*\) lost=\([01]\).*/\1 \2/p' "$out" | tr -d '\r')
[ -n "$stock" ] && [ -n "$patched" ] || die "the guest did not finish both sides"
! grep -q '^not ok' "$out" || die "dmus_reports: a kernel report (above)"
total=$((RUNS * 4000))
log "bursts with bytes not written, of $total: stock snd-rawmidi ${stock% *}, patched ${patched% *}"
[ "${stock#* }" = 0 ] && [ "${patched#* }" = 0 ] || die "a byte was lost or changed on the way back"
[ "${patched% *}" = 0 ] || die "the patched snd-rawmidi still sent bytes that were not written"
[ "${stock% *}" != 0 ] || log "the stock snd-rawmidi did not hit the race this time (it is timing)"
log "rawmidi-race: done in $((SECONDS - start)) s"
