#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs everything the project needs on a fresh Debian 12 machine: the
# bookworm packages, rust-src, bindgen-cli, and the Linux 7.2 source from
# Debian's linux-source-7.2 package. Idempotent: a second run only checks.
#
# The machine's apt sources are never changed. The kernel source package comes
# from a newer suite through a private apt configuration (its own sources list,
# lists directory and cache under $DMUS_CACHE/apt) used for that one download.

. "$(dirname "$0")/common.sh"

PACKAGES=(
	clang-19 lld-19 llvm-19 libclang-19-dev
	make flex bison bc libelf-dev libssl-dev cpio xz-utils kmod rsync
	qemu-system-x86 busybox-static alsa-utils acpica-tools
	openttd-openmsx csound-doc timgm6mb-soundfont mmdebstrap trinity
	bochs bochsbios vgabios isolinux syslinux-common xorriso
)

apt_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

rust_tools() {
	rustup component list --installed 2>/dev/null | grep -q '^rust-src' ||
		rustup component add rust-src
	if ! bindgen --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
		cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION"
	fi
	bindgen --version
}

# The machine's Debian mirror, read from its own apt configuration.
debian_mirror() {
	local uri
	uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v security | head -n1)
	[ -n "$uri" ] || uri=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null |
		awk '{print $2}' | grep -v security | head -n1)
	[ -n "$uri" ] || die "no Debian mirror found in the machine's apt sources"
	echo "$uri"
}

kernel_source() {
	local dir=$DMUS_CACHE/src
	if [ -f "$dir/linux/Makefile" ]; then
		log "kernel source: $(cat "$dir/VERSION")"
		return 0
	fi
	local apt=$DMUS_CACHE/apt mirror suite deb
	mirror=$(debian_mirror)
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir"
	local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
	for suite in trixie-backports sid; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
			>"$apt/sources.list"
		apt-get "${opts[@]}" update -qq 2>/dev/null || continue
		apt-cache "${opts[@]}" show "$KERNEL_PACKAGE" >/dev/null 2>&1 && break
	done
	apt-cache "${opts[@]}" show "$KERNEL_PACKAGE" >/dev/null 2>&1 ||
		die "$KERNEL_PACKAGE is in none of trixie-backports, sid"
	(cd "$apt" && rm -f ./*.deb && apt-get "${opts[@]}" download "$KERNEL_PACKAGE")
	deb=$(ls "$apt"/"$KERNEL_PACKAGE"_*.deb)
	log "unpacking $(basename "$deb") from $suite"
	rm -rf "$dir/pkg" "$dir/linux"
	dpkg -x "$deb" "$dir/pkg"
	tar -C "$dir" -xf "$dir"/pkg/usr/src/"$KERNEL_PACKAGE".tar.xz
	mv "$dir/$KERNEL_PACKAGE" "$dir/linux"
	rm -rf "$dir/pkg"
	dpkg-deb -f "$deb" Version >"$dir/VERSION"
	log "kernel source: $(cat "$dir/VERSION")"
}

phase apt apt_packages
phase rust-tools rust_tools
phase kernel-source kernel_source
