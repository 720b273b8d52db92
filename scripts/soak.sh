#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make soak`: the reliability runs at full length, on the debug kernel
# (KASAN, lockdep, kmemleak, UBSAN) with 2 CPUs, in one VM boot: the
# load/unload soak (DMUS_SOAK_CYCLES, default 1000 cycles with rawmidi and
# DMus data flowing in each), the in-guest fuzzer (DMUS_FUZZ_OPS operations,
# default 1000000; DMUS_FUZZ_SEED repeats a run), trinity on the device
# nodes (DMUS_TRINITY_OPS syscalls a node, default 20000), then dmus_reports
# (kmemleak and kernel-log scan). Prints the time of each. make check runs
# the same tests shorter (100 cycles, 100000 operations, 500 syscalls).

. "$(dirname "$0")/build.sh"

CYCLES=${DMUS_SOAK_CYCLES:-1000}
OPS=${DMUS_FUZZ_OPS:-1000000}
TRINITY_OPS=${DMUS_TRINITY_OPS:-20000}
SEED=${DMUS_FUZZ_SEED:-}
start=$SECONDS
build_all
build_debug
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
stage_guest "$stage" "$MODULE_DEBUG"
cat >"$stage/run.sh" <<GUEST
export DMUS_SOAK_CYCLES=$CYCLES DMUS_FUZZ_OPS=$OPS ${SEED:+DMUS_FUZZ_SEED=$SEED}
export DMUS_TRINITY_OPS=$TRINITY_OPS
sh /opt/dmus/guest-tests.sh --override-timeout 14400 \
	-t dmus:dmus_stress_test -t dmus:dmus_fuzz_test -t dmus:dmus_trinity_test.sh
GUEST
DMUS_FLAVOUR=debug DMUS_QEMU_ARGS="$TEST_VM_DEVICES" phase soak-vm \
	bash "$TOP/scripts/vm.sh" "$stage" 18000
log "make soak: $CYCLES cycles, $OPS fuzz operations, $TRINITY_OPS trinity syscalls a node: done in $((SECONDS - start)) s"
