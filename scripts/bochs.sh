#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# An MPU-401 no one here wrote: boots the fast kernel in Bochs (Debian's
# bochs 2.7: its own x86-64 CPU model, ISA bus and PIC, and a Sound Blaster
# 16 whose MPU-401 sits at port 0x330, IRQ 5), loads snd-dmus-mpu401 on it
# and plays a real MIDI file, one boot per way: raw bytes with amidi (every
# status byte explicit) and dmusplay through the DMus device. Bochs writes
# what leaves the chip's MIDI OUT as a Standard MIDI File; `midicmp compare
# --system` checks it against the file played, message by message per
# channel (its times are Bochs' own, not compared). Bochs' MPU-401 takes no
# MIDI input, so capture is tested on the virtual chip only.
#
# Not aplaymidi: Bochs 2.7's MPU-401 ignores data bytes that follow a
# complete message (running status: iodev/sound/sb16.cc, mpu_mididata, "Midi
# data received, but no command pending?"), and the ALSA sequencer's MIDI
# bridge (snd-seq-midi) sends running status, so Bochs drops messages a real
# MPU-401 passes on (DMUS_BOCHS_PLAYS="aplay FILE.mid" shows it).
#
# Prints one line per way and closes with "bochs: N passed, N failed".
# Needs the fast kernel, the module and the tools built (make check's
# build_all); scripts/setup.sh installs bochs, isolinux and xorriso.

. "$(dirname "$0")/build.sh"

KBUILD=$(readlink -f "$DMUS_CACHE/kernel")
[ -f "$KBUILD/.dmus-built" ] || die "no kernel built: run scripts/kernel.sh"
[ -f "$TOP/snd-dmus-mpu401.ko" ] || die "no module built: run make"
BASE=$("$TOP/scripts/initramfs.sh" "$KBUILD")
MIDI_DIRS="/usr/share/games/openttd/baseset/openmsx /usr/share/doc/csound-doc/html/examples"
# One file per way: each boot plays one file.
PLAYS=(
	"raw 5432gone_redfarn.mid"
	"dmusplay tttheme2.mid"
)
# DMUS_BOCHS_PLAYS="aplay coconut_run2.mid,raw ..." plays those instead.
if [ -n "${DMUS_BOCHS_PLAYS:-}" ]; then
	IFS=, read -r -a PLAYS <<<"$DMUS_BOCHS_PLAYS"
fi
# Wall-clock limit of one boot, seconds.
BOCHS_TIMEOUT=${DMUS_BOCHS_TIMEOUT:-600}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/iso" "$work/root/opt/dmus/midi" "$work/root/opt/dmus/raw"
install -m 0644 /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	"$work/iso/"
cp "$KBUILD/arch/x86/boot/bzImage" "$work/iso/bzImage"
stage=$work/root/opt/dmus
cp "$TOP/snd-dmus-mpu401.ko" "$TOP/snd-dmus-peer.ko" "$stage/"
install -m 0755 "$TOP/rust/target/release/dmusplay" "$TOP/scripts/guest-bochs.sh" "$stage/"

midi_file() {
	local d
	for d in $MIDI_DIRS; do
		[ -f "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	die "$1: in none of $MIDI_DIRS (scripts/setup.sh installs openttd-openmsx)"
}

pass=0
fail=0
for play in "${PLAYS[@]}"; do
	read -r how name <<<"$play"
	file=$(midi_file "$name")
	rm -f "$stage"/midi/* "$stage"/raw/*
	cp "$file" "$stage/midi/"
	"$TOP/rust/target/release/midicmp" raw "$file" -o "$stage/raw/${name%.mid}.raw"
	echo "sh /opt/dmus/guest-bochs.sh $how $name" >"$stage/run.sh"
	{
		cat "$BASE"
		(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1)
	} >"$work/iso/initrd.gz"
	cat >"$work/iso/isolinux.cfg" <<-EOF
		default linux
		prompt 0
		timeout 0
		label linux
		  kernel /bzImage
		  append initrd=/initrd.gz console=ttyS0 panic=-1 quiet loglevel=4
	EOF
	rm -f "$work/boot.iso"
	xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux.bin -c boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$work/iso"
	rm -f "$work/out.mid" "$work/serial.log" "$work/bochs.log"
	# sync=none: the guest's clock follows the instructions run, and idle
	# time passes at once, so a 60 s file plays in a fraction of that.
	cat >"$work/bochsrc" <<-EOF
		megs: 512
		romimage: file=/usr/share/bochs/BIOS-bochs-latest
		vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
		cpu: model=corei7_sandy_bridge_2600k
		ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
		boot: cdrom
		clock: sync=none, time0=local
		com1: enabled=1, mode=file, dev=$work/serial.log
		plugin_ctrl: sb16=1
		sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=file
		sb16: enabled=1, midimode=2, midifile=$work/out.mid, wavemode=0, dmatimer=600000
		display_library: rfb, options="timeout=0"
		log: $work/bochs.log
		panic: action=fatal
		error: action=report
		info: action=ignore
		debug: action=ignore
	EOF
	# Debian's bochs has the debugger built in: "c" runs the machine. The
	# rfb display waits for no viewer (timeout=0); nothing connects to it.
	echo c >"$work/debugger.rc"
	start=$SECONDS
	timeout -k 5 "$BOCHS_TIMEOUT" bochs -q -f "$work/bochsrc" -rc "$work/debugger.rc" </dev/null >"$work/bochs.out" 2>&1 || { tail -n 20 "$work/bochs.out" >&2; true; }
	secs=$((SECONDS - start))
	rc=$(tr -d '\r' <"$work/serial.log" 2>/dev/null | grep -a -o '^DMUS-EXIT=[0-9]*' | tail -n1 | cut -d= -f2)
	label="bochs: $how $name"
	if [ "${rc:-}" != 0 ]; then
		tr -d '\r' <"$work/serial.log" 2>/dev/null | console_filter | tail -n 30 | sed 's/^/# /'
		tail -n 20 "$work/bochs.out" "$work/bochs.log" 2>/dev/null | sed 's/^/# /'
		echo "$label: FAILED (guest exit ${rc:-none}, ${secs} s)"
		fail=$((fail + 1))
		continue
	fi
	tr -d '\r' <"$work/serial.log" | grep -a -E '^ *[0-9]+ \[|^Output|bytes' | sed 's/^/# /'
	if cmp_out=$("$TOP/rust/target/release/midicmp" compare "$file" "$work/out.mid" --system 2>&1); then
		echo "$label: identical messages, $(printf '%s\n' "$cmp_out" | grep -m1 -i -E 'messages|events' || true) (${secs} s)"
		pass=$((pass + 1))
	else
		printf '%s\n' "$cmp_out" | tail -n 30 | sed 's/^/# /'
		tr -d '\r' <"$work/serial.log" | console_filter | tail -n 30 | sed 's/^/# /'
		echo "$label: FAILED: MIDI OUT differs from the file (${secs} s)"
		fail=$((fail + 1))
	fi
done
echo "bochs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
