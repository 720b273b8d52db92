# SPDX-License-Identifier: GPL-2.0
# Shared settings for the project's scripts: sourced, never run.
#
# DMUS_CACHE holds everything built or downloaded outside the repository: the
# kernel source and build, the guest image, the private apt state.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DMUS_CACHE=${DMUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snd-dmus-mpu401}
LLVM_SUFFIX=-19
export LIBCLANG_PATH=/usr/lib/llvm${LLVM_SUFFIX}/lib
export PATH="$HOME/.cargo/bin:$PATH"

# The kernel package and the bindgen release the project builds with.
KERNEL_PACKAGE=linux-source-7.2
BINDGEN_VERSION=0.73.2

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs "$@" and prints how long it took, labelled with the phase name $1.
phase() {
	local name=$1 start=$SECONDS
	shift
	local rc=0
	log "phase $name: start"
	"$@" || rc=$?
	if [ $rc -eq 0 ]; then
		log "phase $name: done in $((SECONDS - start)) s"
	else
		log "phase $name: FAILED (exit $rc) after $((SECONDS - start)) s"
	fi
	return $rc
}

# Filters a guest's serial console for the user's terminal. Removes terminal
# control sequences (CSI "ESC [ ... final", "ESC ( B", two-byte "ESC x") and
# every other control character but tab, CR and LF; the DMUS-EXIT line; and,
# as a second line of defence (scripts/vm.sh keeps the firmware off the
# serial port), the firmware's block from SeaBIOS's banner to its "Booting
# from ..." (what follows that on its line stays), and the x86 boot stub's
# "Probing EDD" line. Blank lines before the first line with text go too.
# Line-buffered (sed -u): output shows as it comes.
console_filter() {
	LC_ALL=C sed -u \
		-e 's#\x1b\[[0-?]*[ -/]*[@-~]##g' \
		-e 's#\x1b[()][0-9A-Za-z]##g' \
		-e 's#\x1b.\{0,1\}##g' \
		-e 's#[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]##g' \
		-e '/^SeaBIOS (version /,/^Booting from /{/^Booting from /!d;s#^Booting from [A-Za-z ]*\.*##;}' \
		-e '/^Probing EDD /d' \
		-e '/^DMUS-EXIT=/d' \
		-e '/[^[:space:]]/,$!d'
}
