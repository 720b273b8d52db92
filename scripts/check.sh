#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every test (`make check`): style checks (rustfmt, clippy), the host crates'
# cargo tests, then the kselftests inside a VM of the debug kernel (KASAN,
# lockdep, kmemleak, UBSAN; both kernel flavours are built), ending with a
# kmemleak scan and a scan of the kernel log (dmus_reports), then the module
# on Bochs' emulated MPU-401 (scripts/bochs.sh), then the module
# built by DKMS on Debian's own 7.2 kernel and tested on it
# (scripts/debian.sh). Prints one closing line "N passed, N failed" counting
# tests (not phases) and exits non-zero on any failure.

. "$(dirname "$0")/build.sh"

start=$SECONDS
build_all
build_debug
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Style, as the kernel checks it: each check counts as one test.
style_pass=0
style_fail=0
style() {
	local name=$1
	shift
	if "$@" >"$logs/style.log" 2>&1; then
		style_pass=$((style_pass + 1))
		log "style: $name: ok"
	else
		style_fail=$((style_fail + 1))
		log "style: $name: FAILED"
		cat "$logs/style.log"
	fi
}
# The module rebuilt with clippy (CLIPPY=1) prints no warning, from rustc,
# clippy or the C compiler (its glue files).
clippy_clean() {
	touch "$TOP/rust/snd_dmus_mpu401.rs" "$TOP"/rust/*.c
	make -C "$TOP" --no-print-directory KDIR="$KBUILD" CLIPPY=1 modules >"$logs/clippy.log" 2>&1 &&
		! grep -E '^(warning|error)|: (warning|error): ' "$logs/clippy.log" ||
		{ cat "$logs/clippy.log"; false; }
}
style "rustfmt (kernel config) of the module" rustfmt --edition 2021 --check \
	--config-path "$DMUS_CACHE/src/linux/.rustfmt.toml" "$TOP/rust/snd_dmus_mpu401.rs"
# The module's C files as the kernel checks a patch, strictly. The uapi header
# keeps __attribute__((packed, aligned(4))): userspace has no __packed.
style "checkpatch --strict of the C glue and the uapi header" sh -c "
	perl '$DMUS_CACHE/src/linux/scripts/checkpatch.pl' --strict --no-tree --quiet -f \
		'$TOP'/rust/*.c '$TOP'/rust/*.h &&
	perl '$DMUS_CACHE/src/linux/scripts/checkpatch.pl' --strict --no-tree --quiet \
		--ignore PREFER_DEFINED_ATTRIBUTE_MACRO -f '$TOP/rust/uapi/snd_dmus.h'"
style "cargo fmt of the host crates" cargo fmt --manifest-path "$TOP/rust/Cargo.toml" --all --check
style "make CLIPPY=1 without warnings (Rust and C)" clippy_clean
# Safe code cannot keep a rawmidi or PCM substream past its callback: the
# module built with each misuse of rust/port/alsa.rs and rust/port/pcm.rs
# (Kbuild's DMUS_MISUSE) fails,
# for the lifetime rustc names, not for anything else.
# Built in a copy under the cache, so the module built above stays.
misuse_refused() {
	local cfg=$1 want=$2 src
	src=$(module_copy module-misuse)
	if make -C "$KBUILD" M="$src" LLVM="$LLVM_SUFFIX" DMUS_MISUSE="$cfg" modules \
		>"$logs/misuse.log" 2>&1; then
		echo "DMUS_MISUSE=$cfg compiled"
		return 1
	fi
	grep -q "$want" "$logs/misuse.log" || { cat "$logs/misuse.log"; return 1; }
}
style "a substream kept from the link does not compile" \
	misuse_refused keep_link "lifetime may not live long enough"
style "a substream kept from a callback does not compile" \
	misuse_refused keep_callback "borrowed data escapes outside of method"
style "a running PCM substream kept from its link does not compile" \
	misuse_refused keep_pcm "lifetime may not live long enough"
# No Rust function of the module takes more than 2 KiB of stack (the C side
# has the kernel's -Wframe-larger-than=2048; rustc has no such warning). A
# synth built by value once took 19 KiB in a probe, past the 16 KiB stack.
style "every Rust stack frame of the module under 2 KiB" perl -e '
	open(my $d, "-|", "objdump", "-d", "--no-show-raw-insn", $ARGV[0]) or die "objdump: $!";
	my ($f, $bad, $n) = ("?", 0, 0);
	while (<$d>) {
		$f = $1 if /<(.*)>:$/;
		next unless /sub\s+\$0x([0-9a-f]+),%rsp/;
		$n++;
		if (hex($1) > 2048) { print "$f: ", hex($1), " bytes\n"; $bad = 1 }
	}
	close($d) or die "objdump failed";
	die "no stack frames found\n" unless $n;
	exit $bad' "$TOP/rust/snd_dmus_mpu401.o"

# Host tests. cargo's own summary lines are kept in the output.
set +e
phase host-tests cargo test --manifest-path "$TOP/rust/Cargo.toml" --workspace \
	2>&1 | tee "$logs/host.log"
host_rc=${PIPESTATUS[0]}

# kselftests in a VM of the debug kernel (2 CPUs), through the kernel's
# kselftest runner, then the kmemleak and kernel-log scan.
stage=$logs/stage
stage_guest "$stage" "$MODULE_DEBUG"
echo 'sh /opt/dmus/guest-tests.sh' >"$stage/run.sh"
DMUS_FLAVOUR=debug DMUS_QEMU_ARGS="$TEST_VM_DEVICES" phase vm-tests \
	bash "$TOP/scripts/vm.sh" "$stage" 3600 2>&1 | tee "$logs/vm.log"
vm_rc=${PIPESTATUS[0]}

# An MPU-401 no one here wrote: Bochs' Sound Blaster 16, with the fast
# kernel (scripts/bochs.sh). Its closing line "bochs: N passed, N failed" is
# counted.
phase bochs bash "$TOP/scripts/bochs.sh" 2>&1 | tee "$logs/bochs.log"
bochs_rc=${PIPESTATUS[0]}

# The module on Debian's own 7.2 kernel: built by DKMS in a trixie root and
# tested on that kernel's image (scripts/debian.sh, cached after the first
# run). Its closing line "stock kernel ...: N passed, N failed" is counted.
phase debian bash "$TOP/scripts/debian.sh" 2>&1 | tee "$logs/debian.log"
debian_rc=${PIPESTATUS[0]}
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
# A host test that skips on request (MIDICMP_REAL_FILES=skip) passes and
# prints "SKIP <test>: <why>" (uncaptured, so possibly after a progress
# mark), shown again here and counted in the log line.
skips=$(grep -oE 'SKIP [A-Za-z0-9_]+: .*' "$logs/host.log" || true)
hs=$(printf '%s' "$skips" | grep -c . || true)
[ -z "$skips" ] || printf '%s\n' "$skips" >&2
[ "$host_rc" -eq 0 ] || [ "$hf" -gt 0 ] || hf=$((hf + 1))
[ "$vm_rc" -eq 0 ] || [ "$vf" -gt 0 ] || vf=$((vf + 1))
read -r bp bf < <(sed -nE 's/^bochs: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$logs/bochs.log" |
	tail -n1 | grep . || echo 0 0)
[ "$bochs_rc" -eq 0 ] || [ "$bf" -gt 0 ] || bf=$((bf + 1))
stock=$(tr -d '\r' <"$logs/debian.log" | grep -a '^stock kernel ' | tail -n1 || true)
read -r dp df < <(printf '%s\n' "$stock" |
	sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' | grep . || echo 0 0)
[ "$debian_rc" -eq 0 ] || [ "$df" -gt 0 ] || df=$((df + 1))
log "${stock:-stock kernel: no result line (scripts/debian.sh rc $debian_rc)}"
log "style: $style_pass passed, $style_fail failed; host: $hp passed ($hs skipped), $hf failed; vm: $vp passed, $vf failed; bochs: $bp passed, $bf failed; debian: $dp passed, $df failed; in $((SECONDS - start)) s"
echo "$((style_pass + hp + vp + bp + dp)) passed, $((style_fail + hf + vf + bf + df)) failed"
[ $((style_fail + hf + vf + bf + df)) -eq 0 ]
