#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every test (`make check`): the host crates' cargo tests, then the
# kselftests inside the VM. Prints one closing line "N passed, N failed"
# counting tests (not phases) and exits non-zero on any failure.

. "$(dirname "$0")/build.sh"

start=$SECONDS
build_all
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Host tests. cargo's own summary lines are kept in the output.
set +e
phase host-tests cargo test --manifest-path "$TOP/rust/Cargo.toml" --workspace \
	2>&1 | tee "$logs/host.log"
host_rc=${PIPESTATUS[0]}

# kselftests in the VM, through the kernel's kselftest runner.
stage=$logs/stage
stage_guest "$stage"
cat >"$stage/run.sh" <<'GUEST'
cd /opt/dmus/selftests && ./run_kselftest.sh
GUEST
phase vm-tests bash "$TOP/scripts/vm.sh" "$stage" 1800 2>&1 | tee "$logs/vm.log"
vm_rc=${PIPESTATUS[0]}
set -e

# Counts: cargo's "test result" lines, and the kselftests' per-test KTAP lines
# (nested one level by the runner: "# ok N name" / "# not ok N name"); a test
# program that failed without reporting any test counts as one failure.
read -r hp hf < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) {
	if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
	END { print p + 0, f + 0 }' "$logs/host.log")
read -r vp vf < <(tr -d '\r' <"$logs/vm.log" | awk '
	/^# ok [0-9]+ / { if ($0 !~ /# SKIP/) p++; n++ }
	/^# not ok [0-9]+ / { f++; n++ }
	/^(not )?ok [0-9]+ selftests:/ { if (n == 0 && $1 == "not") f++; n = 0 }
	END { print p + 0, f + 0 }')
[ "$host_rc" -eq 0 ] || [ "$hf" -gt 0 ] || hf=$((hf + 1))
[ "$vm_rc" -eq 0 ] || [ "$vf" -gt 0 ] || vf=$((vf + 1))
log "host: $hp passed, $hf failed; vm: $vp passed, $vf failed; in $((SECONDS - start)) s"
echo "$((hp + vp)) passed, $((hf + vf)) failed"
[ $((hf + vf)) -eq 0 ]
