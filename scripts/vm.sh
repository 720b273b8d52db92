#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the cached kernel in QEMU (TCG) with the base guest image plus a
# staging directory, runs the staging directory's run.sh inside, and exits
# with its exit status. The serial log is kept in $DMUS_CACHE/logs/.
#
# Usage: scripts/vm.sh STAGE_DIR [TIMEOUT_SECONDS]
#   STAGE_DIR/run.sh  the command to run in the guest (as /opt/dmus/run.sh)
#   STAGE_DIR/*       everything else lands in the guest's /opt/dmus/
# Exit status: the guest command's, or 125 when the guest did not report one
# (a panic, a hang past the timeout).

. "$(dirname "$0")/common.sh"

STAGE=${1:?usage: vm.sh STAGE_DIR [TIMEOUT_SECONDS]}
TIMEOUT=${2:-600}
[ -f "$STAGE/run.sh" ] || die "$STAGE/run.sh: no such file"
# DMUS_FLAVOUR=debug boots the debug flavour (scripts/kernel.sh).
case ${DMUS_FLAVOUR:-fast} in
debug) BUILD=$(readlink -f "$DMUS_CACHE/kernel-debug") ;;
*) BUILD=$(readlink -f "$DMUS_CACHE/kernel") ;;
esac
[ -f "$BUILD/.dmus-built" ] || die "no kernel built: run scripts/kernel.sh"
BASE=$("$TOP/scripts/initramfs.sh" "$BUILD")

mkdir -p "$DMUS_CACHE/logs"
LOG=$DMUS_CACHE/logs/vm-$(date +%Y%m%d-%H%M%S)-$$.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/opt"
cp -a "$STAGE" "$work/root/opt/dmus"
# The kernel unpacks concatenated cpio archives in order: the stage lands on
# top of the base image.
{
	cat "$BASE"
	(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1)
} >"$work/initrd.cpio.gz"

# la57=off: 4-level paging. With 5-level paging, an interrupt that arrives
# while identify_boot_cpu() re-reads the CPU's features (LA57 briefly clear
# in boot_cpu_data) makes KASAN's shadow bounds follow the 4-level layout
# and report a "wild-memory-access" on the 5-level direct map
# (do_raw_spin_lock <- handle_edge_irq, at 0.002 s of a debug boot).
#
# -display none, not -nographic: -nographic also sets the machine's
# graphics=off, which QEMU tells the firmware (fw_cfg FW_CFG_NOGRAPHIC), and
# SeaBIOS then mirrors its screen onto the first serial port (its "sercon":
# a terminal reset, line wrap off, a cleared screen, the SeaBIOS and iPXE
# banners, "Booting from ROM.."). With graphics left on, the firmware writes
# to the emulated VGA, which nothing shows, and the serial port carries only
# the kernel's console and the guest's output. The raw serial log keeps
# everything; the terminal gets it through console_filter (common.sh).
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg -cpu max,la57=off -smp 2 -m 1024 \
	-display none -no-reboot -monitor none -serial stdio \
	-kernel "$BUILD/arch/x86/boot/bzImage" -initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 ${DMUS_APPEND:-}" \
	${DMUS_QEMU_ARGS:-} </dev/null | tee "$LOG" | console_filter
set -e
rc=$(grep -a -o '^DMUS-EXIT=[0-9]*' "$LOG" | tail -n1 | cut -d= -f2)
if [ -z "$rc" ]; then
	log "the guest reported no exit status (panic or timeout); serial log: $LOG"
	exit 125
fi
exit "$rc"
