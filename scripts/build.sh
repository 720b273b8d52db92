# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh and check.sh: brings the machine up to date (set-up,
# kernel, module, tools, selftests) and fills a guest staging directory.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Sets KBUILD and builds everything the VM needs.
build_all() {
	phase setup bash "$TOP/scripts/setup.sh"
	KBUILD=$(bash "$TOP/scripts/kernel.sh")
	log "kernel: $(cat "$KBUILD/kernelrelease") ($KBUILD)"
	phase module make -C "$TOP" --no-print-directory KDIR="$KBUILD" modules
	phase tools cargo build --quiet --release --manifest-path "$TOP/rust/Cargo.toml" \
		-p midicmp -p dmustools
	mkdir -p "$DMUS_CACHE/selftests"
	phase selftests-build make -C "$TOP/selftests" --no-print-directory -s \
		KSRC="$DMUS_CACHE/src/linux" KBUILD="$KBUILD" OUTPUT="$DMUS_CACHE/selftests"
	phase acpi-table acpi_table
}

# The test VM's ACPI table: a PNPB006 MPU-401 for the PnP probe.
acpi_table() {
	iasl -p "$DMUS_CACHE/selftests/dmus_pnp" "$TOP/selftests/dmus_pnp.asl" >"$DMUS_CACHE/selftests/iasl.log" ||
		{ cat "$DMUS_CACHE/selftests/iasl.log"; false; }
}

# QEMU options of the test VM: the PnP MPU-401 of selftests/dmus_pnp.asl and a
# PCI device with an I/O BAR and no MPU-401 behind it (for the PCI probe).
TEST_VM_DEVICES="-acpitable file=$DMUS_CACHE/selftests/dmus_pnp.aml -device pci-testdev"

# Fills staging directory $1 (the guest's /opt/dmus) with the module, the
# selftests, the tools (midicmp, dmusplay, dmusrec) and the MIDI files.
stage_guest() {
	local stage=$1
	mkdir -p "$stage/midi"
	cp "$TOP/snd-dmus-mpu401.ko" "$stage/"
	make -C "$TOP/selftests" --no-print-directory -s KSRC="$DMUS_CACHE/src/linux" \
		KBUILD="$KBUILD" OUTPUT="$DMUS_CACHE/selftests" INSTALL_PATH="$stage/selftests" install_collection
	local tool
	for tool in midicmp dmusplay dmusrec; do
		install -m 0755 "$TOP/rust/target/release/$tool" "$stage/$tool"
	done
	install -m 0755 "$TOP/selftests/dmus_dmusplay.sh" "$stage/dmus_dmusplay.sh"
	install -m 0755 "$TOP/scripts/guest-compare.sh" "$stage/guest-compare.sh"
	install -m 0755 "$TOP/selftests/dmus_play.sh" "$stage/dmus_play.sh"
	cp /usr/share/games/openttd/baseset/openmsx/*.mid /usr/share/doc/csound-doc/html/examples/*.mid \
		"$stage/midi/"
	# Each file's wire bytes, for the raw loopback test.
	mkdir -p "$stage/raw"
	local f
	for f in "$stage"/midi/*.mid; do
		"$TOP/rust/target/release/midicmp" raw "$f" -o "$stage/raw/$(basename "$f" .mid).raw"
	done
}
