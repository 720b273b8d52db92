#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds snd-dmus-mpu401 for an installed distribution kernel: the MAKE step
# of the module's DKMS configuration (scripts/dkms.conf.in), run in DKMS's
# copy of the sources. Also usable by hand from a clone.
#
# Distribution headers (Debian's linux-headers-*) carry the kernel's .config
# and Module.symvers but none of its Rust build artifacts (rust/*.rmeta, the
# macros library, the generated bindings, scripts/target.json), so an
# out-of-tree Rust module cannot build against them as they come. This script
# rebuilds those artifacts from the kernel's own source package, of exactly
# the kernel's version, with the kernel's own compilers ("make
# modules_prepare": no kernel build), once per kernel release, in
# $DMUS_KBUILD_CACHE/kbuild-RELEASE (default /var/lib/snd-dmus-mpu401), then
# builds the module against that tree with KERNELRELEASE set, so that its
# vermagic is the kernel's.
#
# Every version is checked first; a mismatch stops with a message naming what
# to install and never produces a module:
#   - the kernel has CONFIG_RUST and CONFIG_SND_RAWMIDI;
#   - `rustc --version` is the kernel's CONFIG_RUSTC_VERSION_TEXT, rust-src
#     and bindgen are there;
#   - the kernel's C compiler (CONFIG_CC_VERSION_TEXT) is installed, of the
#     same version;
#   - the kernel source (Debian: linux-source-X.Y) is of the kernel's version
#     (Debian: the same package version as linux-headers-RELEASE).
#
# Usage: scripts/dkms-build.sh [--check] KERNELRELEASE [KERNEL_HEADERS_DIR]
#   --check              only the checks (scripts/dkms-install.sh runs them
#                        before DKMS, so that their message is what one sees)
#   KERNEL_HEADERS_DIR   default /lib/modules/KERNELRELEASE/build
# Environment:
#   DMUS_KBUILD_CACHE    where prepared trees are kept
#   DMUS_LINUX_SOURCE    the kernel source tarball (default
#                        /usr/src/linux-source-X.Y.tar.xz, from Debian's
#                        linux-source-X.Y); its version is still checked
set -euo pipefail

say() { printf 'snd-dmus-mpu401: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

check_only=0
if [ "${1:-}" = --check ]; then
	check_only=1
	shift
fi
K=${1:?usage: dkms-build.sh [--check] KERNELRELEASE [KERNEL_HEADERS_DIR]}
HDR=${2:-/lib/modules/$K/build}
MOD=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DMUS_KBUILD_CACHE:-/var/lib/snd-dmus-mpu401}
W=$CACHE/kbuild-$K
KVER=${K%%[-+]*}                # 7.2.12 of 7.2.12+deb13-amd64
SERIES=$(echo "$KVER" | cut -d. -f1,2)

[ -f "$HDR/.config" ] ||
	die "no headers of kernel $K ($HDR/.config is missing): install linux-headers-$K"
[ -f "$HDR/Module.symvers" ] ||
	die "the headers of kernel $K have no Module.symvers ($HDR): install linux-headers-$K"
# cfg NAME: the value of CONFIG_NAME in a .config (default the headers'), unquoted.
cfg() { sed -n "s/^CONFIG_$1=//p" "${2:-$HDR/.config}" | sed 's/^"\(.*\)"$/\1/'; }

# The kernel.
[ "$(cfg RUST)" = y ] ||
	die "kernel $K was built without Rust (CONFIG_RUST is not set): snd-dmus-mpu401 cannot be built for it. Boot a kernel built with Rust (Debian trixie: linux-image-7.2.*-amd64 from trixie-backports)"
case $(cfg SND_RAWMIDI) in
y | m) ;;
*) die "kernel $K has no ALSA rawmidi (CONFIG_SND_RAWMIDI is not set): snd-dmus-mpu401 needs it" ;;
esac

# Rust: exactly the kernel's rustc (crate metadata and symbol hashes depend on
# it), its library source, bindgen.
want=$(cfg RUSTC_VERSION_TEXT)
have=$(rustc --version 2>/dev/null) ||
	die "no rustc: install $want, the kernel's (Debian: apt install rustc rust-src)"
[ "$have" = "$want" ] ||
	die "rustc is '$have' but kernel $K was built with '$want': install that rustc and rust-src (Debian: the rustc and rust-src packages of the kernel's release, trixie's for trixie-backports kernels) and put it first on PATH"
sysroot=$(rustc --print sysroot)
[ -f "$sysroot/lib/rustlib/src/rust/library/core/src/lib.rs" ] ||
	die "no Rust library source for $have in $sysroot/lib/rustlib/src: install rust-src (Debian: apt install rust-src)"
command -v bindgen >/dev/null ||
	die "no bindgen: install it (Debian: apt install bindgen libclang-dev)"
bindgen_have=$(bindgen --version 2>/dev/null) ||
	die "bindgen does not run (bindgen --version failed): install bindgen and libclang-dev"
bindgen_want=$(cfg BINDGEN_VERSION_TEXT)
if [ -n "$bindgen_want" ] && [ "$bindgen_have" != "$bindgen_want" ]; then
	say "note: bindgen is '$bindgen_have', the kernel's was '$bindgen_want'"
fi

# C: the kernel's compiler, of the same version (gcc on Debian; clang with
# LLVM=1 on a clang-built kernel, not tested).
cc_text=$(cfg CC_VERSION_TEXT)
CC=${cc_text%% *}
LLVM_ARG=()
if [ "$(cfg CC_IS_CLANG)" = y ]; then
	LLVM_ARG=(LLVM=1)
	CC=clang
fi
command -v "$CC" >/dev/null ||
	die "kernel $K was built with '$cc_text' and $CC is not installed: install it (Debian: apt install ${CC#x86_64-linux-gnu-})"
cc_have=$("$CC" --version | head -n1)
if [ "$cc_have" != "$cc_text" ]; then
	# Only the packaging revision may differ: the version decides the
	# compiler options the kernel's Kconfig enables.
	[ "$("$CC" -dumpfullversion)" = "$(echo "$cc_text" | awk '{print $NF}')" ] ||
		die "$CC is '$cc_have' but kernel $K was built with '$cc_text': install that compiler version"
	say "note: $CC is '$cc_have', the kernel's was '$cc_text' (same version)"
fi

# The kernel source: of exactly the kernel's version.
tarball=${DMUS_LINUX_SOURCE:-/usr/src/linux-source-$SERIES.tar.xz}
hdr_pkg_ver=
if command -v dpkg-query >/dev/null; then
	hdr_pkg_ver=$(dpkg-query -W -f '${Version}' "linux-headers-$K" 2>/dev/null || true)
fi
[ -f "$tarball" ] ||
	die "no kernel source $tarball: install linux-source-$SERIES${hdr_pkg_ver:+=$hdr_pkg_ver} (the source of exactly kernel $K; Debian: apt install -t trixie-backports linux-source-$SERIES${hdr_pkg_ver:+=$hdr_pkg_ver})"
src_pkg_ver=
if [ -n "$hdr_pkg_ver" ] && [ -z "${DMUS_LINUX_SOURCE:-}" ]; then
	src_pkg_ver=$(dpkg-query -W -f '${Version}' "linux-source-$SERIES" 2>/dev/null || true)
	[ "$src_pkg_ver" = "$hdr_pkg_ver" ] ||
		die "linux-source-$SERIES is '${src_pkg_ver:-not a package}' but kernel $K (linux-headers-$K) is $hdr_pkg_ver: install linux-source-$SERIES=$hdr_pkg_ver (Debian: apt install -t trixie-backports linux-source-$SERIES=$hdr_pkg_ver)"
fi
say "kernel $K${hdr_pkg_ver:+ ($hdr_pkg_ver)}: $have, $cc_have, $bindgen_have, source $tarball${src_pkg_ver:+ ($src_pkg_ver)}"
[ $check_only -eq 0 ] || exit 0

# The prepared tree, kept per kernel release and rebuilt when anything it
# was made from changed.
key=$( {
	echo "$K" "$have" "$cc_have" "$bindgen_have" "$src_pkg_ver"
	stat -L -c '%s %Y' "$tarball"
	sha256sum "$HDR/.config" "$HDR/Module.symvers" | cut -d' ' -f1
	sha256sum "$0" | cut -d' ' -f1
} | sha256sum | cut -c1-16)
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-$K"
flock 9
MAKEARGS=(CC="$CC" "${LLVM_ARG[@]}" KERNELRELEASE="$K")
JOBS=-j$(nproc)
if [ "$(cat "$W/.dmus-prepared" 2>/dev/null)" != "$key" ]; then
	say "preparing the Rust build artifacts of $K in $W (once per kernel release; a few minutes)"
	rm -rf "$W"
	mkdir -p "$W"
	tar -xf "$tarball" -C "$W" --strip-components=1
	src_ver=$(make -s -C "$W" kernelversion)
	if [ "$src_ver" != "$KVER" ]; then
		rm -rf "$W"
		die "$tarball is Linux $src_ver, kernel $K is $KVER: install the source of exactly the running kernel (Debian: linux-source-$SERIES${hdr_pkg_ver:+=$hdr_pkg_ver})"
	fi
	cp "$HDR/.config" "$HDR/Module.symvers" "$W/"
	# Why the kernel's Kconfig would drop CONFIG_RUST (rustc, bindgen or
	# libclang unusable), said by the kernel itself.
	make -s -C "$W" "${MAKEARGS[@]}" rustavailable >"$W/.rustavailable.log" 2>&1 || {
		cat "$W/.rustavailable.log" >&2
		die "the kernel's Rust check (make rustavailable) failed for $K: install what it names (Debian: rustc rust-src bindgen libclang-dev)"
	}
	make -s -C "$W" "${MAKEARGS[@]}" olddefconfig
	# The configuration must still be the kernel's where it matters.
	for c in RUST RUSTC_VERSION_TEXT CC_VERSION_TEXT GCC_VERSION CLANG_VERSION SND_RAWMIDI \
		MODVERSIONS MODULE_SIG LOCALVERSION; do
		[ "$(cfg "$c")" = "$(cfg "$c" "$W/.config")" ] ||
			die "kernel $K: CONFIG_$c is '$(cfg "$c")' in its headers but '$(cfg "$c" "$W/.config")' after olddefconfig with this toolchain: install the kernel's own toolchain"
	done
	changed=$(diff <(grep '^CONFIG_' "$HDR/.config") <(grep '^CONFIG_' "$W/.config") | grep -c '^[<>]' || true)
	[ "$changed" -eq 0 ] || say "note: $changed configuration lines differ from the kernel's after olddefconfig (tools this machine lacks, e.g. pahole); none of them is checked above"
	make -s -C "$W" "${MAKEARGS[@]}" "$JOBS" modules_prepare
	if [ ! -f "$W/rust/libkernel.rmeta" ] || [ ! -f "$W/rust/bindings/.bindings_generated.rs.cmd" ]; then
		die "make modules_prepare of $K left no rust/libkernel.rmeta or rust/bindings: see the messages above"
	fi
	echo "$key" >"$W/.dmus-prepared"
	say "prepared $W"
fi

# The module, against the prepared tree, in this directory.
make -C "$W" M="$MOD" "${MAKEARGS[@]}" "$JOBS" modules
vermagic=$(modinfo -F vermagic "$MOD/snd-dmus-mpu401.ko")
[ "${vermagic%% *}" = "$K" ] || {
	rm -f "$MOD/snd-dmus-mpu401.ko"
	die "the module's vermagic is '$vermagic', not kernel $K's"
}
say "built $MOD/snd-dmus-mpu401.ko for $K (vermagic $vermagic)"
