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
