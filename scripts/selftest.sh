#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs some of the kselftests in one VM boot, for working on them: the named
# tests (file names as in selftests/Makefile, e.g. dmus_timed_test) through
# the kernel's runner, then dmus_reports (kmemleak and kernel-log scan).
# The kernels must be built (make check builds both).
#
# Usage: scripts/selftest.sh [-d] TEST...
#   -d   on the debug kernel (KASAN, lockdep, kmemleak, ...), as make check
# Environment: DMUS_SELFTEST_ARGS adds run_kselftest.sh arguments.

. "$(dirname "$0")/build.sh"

flavour=fast
if [ "${1:-}" = -d ]; then
	flavour=debug
	shift
fi
[ $# -gt 0 ] || die "usage: scripts/selftest.sh [-d] TEST..."
gen=() progs=()
for t in "$@"; do
	case $t in
	*.sh) progs+=("$t") ;;
	*) gen+=("$t") ;;
	esac
done
SELFTESTS_OUT=$(mktemp -d)
stage=$(mktemp -d)
trap 'rm -rf "$SELFTESTS_OUT" "$stage"' EXIT
SELFTESTS_ONLY=("TEST_GEN_PROGS=${gen[*]}" "TEST_PROGS=${progs[*]}")
KBUILD=$(bash "$TOP/scripts/kernel.sh")
module=$TOP
if [ $flavour = debug ]; then
	build_debug
	module=$MODULE_DEBUG
else
	make -C "$TOP" --no-print-directory -s KDIR="$KBUILD" modules
fi
cargo build --quiet --release --manifest-path "$TOP/rust/Cargo.toml" "${TOOLS[@]}"
make -C "$TOP/selftests" --no-print-directory -s KSRC="$DMUS_CACHE/src/linux" \
	KBUILD="$KBUILD" OUTPUT="$SELFTESTS_OUT" "${SELFTESTS_ONLY[@]}"
acpi_table
stage_guest "$stage" "$module"
echo "sh /opt/dmus/guest-tests.sh ${DMUS_SELFTEST_ARGS:-}" >"$stage/run.sh"
DMUS_FLAVOUR=$flavour DMUS_QEMU_ARGS="$TEST_VM_DEVICES" bash "$TOP/scripts/vm.sh" "$stage" 3600
