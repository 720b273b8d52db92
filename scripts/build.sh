# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh and check.sh: brings the machine up to date (set-up,
# kernel, module, tools, selftests) and fills a guest staging directory.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The host tools the guest uses (rust/tools/): the packages cargo builds.
TOOLS=(-p midicmp -p dmustools -p synthcmp -p sf2bank)
# The General MIDI SoundFont (Debian's timgm6mb-soundfont, GPL-2) that
# sf2bank converts into the synthesizer's firmware bank for the guest.
GM_SF2=/usr/share/sounds/sf2/TimGM6mb.sf2
GM_BANK_NAME=dmus/timgm6mb.dmbk

# Where the selftests are built, and make arguments that narrow the
# collection to some of them (scripts/selftest.sh sets both).
SELFTESTS_OUT=${SELFTESTS_OUT:-$DMUS_CACHE/selftests}
SELFTESTS_ONLY=()

# Sets KBUILD and builds everything the VM needs.
build_all() {
	phase setup bash "$TOP/scripts/setup.sh"
	KBUILD=$(bash "$TOP/scripts/kernel.sh")
	log "kernel: $(cat "$KBUILD/kernelrelease") ($KBUILD)"
	phase module make -C "$TOP" --no-print-directory KDIR="$KBUILD" modules
	phase tools cargo build --quiet --release --manifest-path "$TOP/rust/Cargo.toml" "${TOOLS[@]}"
	mkdir -p "$SELFTESTS_OUT"
	phase selftests-build make -C "$TOP/selftests" --no-print-directory -s \
		KSRC="$DMUS_CACHE/src/linux" KBUILD="$KBUILD" OUTPUT="$SELFTESTS_OUT" "${SELFTESTS_ONLY[@]}"
	phase acpi-table acpi_table
}

# Copies the module's sources to a directory of the cache named NAME, one
# per checkout (worktrees build side by side), and prints its path: Kbuild
# builds an external module in one place per source tree.
module_copy() {
	local src
	src=$DMUS_CACHE/$1/$(printf %s "$TOP" | sha256sum | cut -c1-8)
	mkdir -p "$src/scripts"
	rsync -a --delete --exclude target --exclude tools --exclude host --exclude fuzz \
		--exclude '*.o' --exclude '*.cmd' --exclude '*.ko' --exclude '*.mod*' \
		--exclude glue_generated.rs "$TOP/Kbuild" "$TOP/rust" "$src/"
	rsync -a "$TOP/scripts/glue-bindgen.sh" "$src/scripts/"
	printf '%s\n' "$src"
}

# Builds the debug flavour of the kernel (scripts/kernel.sh) and the module
# against it, in a copy of the module's sources under the cache
# (module_copy). Sets KBUILD_DEBUG and
# MODULE_DEBUG (the directory of the two .ko files).
build_debug() {
	KBUILD_DEBUG=$(DMUS_FLAVOUR=debug bash "$TOP/scripts/kernel.sh")
	log "debug kernel: $(cat "$KBUILD_DEBUG/kernelrelease") ($KBUILD_DEBUG)"
	# One copy per checkout (worktrees build side by side).
	local src
	src=$(module_copy module-debug)
	phase module-debug make -C "$KBUILD_DEBUG" M="$src" LLVM="$LLVM_SUFFIX" -s modules
	MODULE_DEBUG=$src
}

# The test VM's ACPI table: a PNPB006 MPU-401 for the PnP probe.
acpi_table() {
	mkdir -p "$DMUS_CACHE/selftests"
	iasl -p "$DMUS_CACHE/selftests/dmus_pnp" "$TOP/selftests/dmus_pnp.asl" >"$DMUS_CACHE/selftests/iasl.log" ||
		{ cat "$DMUS_CACHE/selftests/iasl.log"; false; }
}

# QEMU options of the test VM: the PnP MPU-401 of selftests/dmus_pnp.asl and a
# PCI device with an I/O BAR and no MPU-401 behind it (for the PCI probe).
TEST_VM_DEVICES="-acpitable file=$DMUS_CACHE/selftests/dmus_pnp.aml -device pci-testdev"

# Fills staging directory $1 (the guest's /opt/dmus) with the modules
# (snd-dmus-mpu401 and the peer, snd-dmus-peer, from directory $2, by default
# the ones built against the fast kernel), the selftests, the tools (midicmp,
# dmusplay, dmusrec, synthcmp), the MIDI files, and the GM bank converted
# from $GM_SF2 in firmware/$GM_BANK_NAME (the guest's /init copies firmware/
# to /lib/firmware).
stage_guest() {
	local stage=$1 modules=${2:-$TOP}
	mkdir -p "$stage/midi"
	cp "$modules/snd-dmus-mpu401.ko" "$modules/snd-dmus-peer.ko" "$stage/"
	make -C "$TOP/selftests" --no-print-directory -s KSRC="$DMUS_CACHE/src/linux" \
		KBUILD="$KBUILD" OUTPUT="$SELFTESTS_OUT" INSTALL_PATH="$stage/selftests" "${SELFTESTS_ONLY[@]}" \
		install_collection
	local tool
	for tool in midicmp dmusplay dmusrec synthcmp; do
		install -m 0755 "$TOP/rust/target/release/$tool" "$stage/$tool"
	done
	install -m 0755 "$TOP/selftests/dmus_dmusplay.sh" "$stage/dmus_dmusplay.sh"
	install -m 0755 "$TOP/scripts/guest-compare.sh" "$stage/guest-compare.sh"
	install -m 0755 "$TOP/scripts/guest-bench.sh" "$stage/guest-bench.sh"
	install -m 0755 "$TOP/scripts/guest-tests.sh" "$stage/guest-tests.sh"
	install -m 0755 "$TOP/scripts/guest-synth.sh" "$stage/guest-synth.sh"
	install -m 0755 "$TOP/selftests/dmus_play.sh" "$stage/dmus_play.sh"
	cp /usr/share/games/openttd/baseset/openmsx/*.mid /usr/share/doc/csound-doc/html/examples/*.mid \
		"$stage/midi/"
	[ -f "$GM_SF2" ] || die "$GM_SF2: no such file (scripts/setup.sh installs timgm6mb-soundfont)"
	mkdir -p "$stage/firmware/$(dirname "$GM_BANK_NAME")"
	"$TOP/rust/target/release/sf2bank" "$GM_SF2" "$stage/firmware/$GM_BANK_NAME" | sed 's/^/sf2bank: /' >&2
	# Each file's wire bytes, for the raw loopback test.
	mkdir -p "$stage/raw"
	local f
	for f in "$stage"/midi/*.mid; do
		"$TOP/rust/target/release/midicmp" raw "$f" -o "$stage/raw/$(basename "$f" .mid).raw"
	done
}
