#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configures and builds the Linux 7.2 kernel the module and the VM use:
# tinyconfig + scripts/kernel.config, LLVM 19, Rust. The build lives in
# $DMUS_CACHE/build-<key>, keyed by the kernel version, the fragment and the
# toolchain versions; an unchanged key reuses the finished build.
#
# DMUS_FLAVOUR=debug builds the debug flavour instead: scripts/kernel.config
# plus scripts/kernel-debug.config (KASAN, lockdep, kmemleak, UBSAN, ...),
# cached under its own key, linked as $DMUS_CACHE/kernel-debug.
#
# Prints the build directory (the KDIR for the module) on stdout.

. "$(dirname "$0")/common.sh"

SRC=$DMUS_CACHE/src/linux
FLAVOUR=${DMUS_FLAVOUR:-fast}
FRAGMENTS=("$TOP/scripts/kernel.config")
LINK=$DMUS_CACHE/kernel
case $FLAVOUR in
fast) ;;
debug)
	FRAGMENTS+=("$TOP/scripts/kernel-debug.config")
	LINK=$DMUS_CACHE/kernel-debug
	;;
*) die "DMUS_FLAVOUR=$FLAVOUR: fast or debug" ;;
esac
[ -f "$SRC/Makefile" ] || die "no kernel source in $SRC: run scripts/setup.sh"

key=$( {
	cat "$DMUS_CACHE/src/VERSION"
	cat "${FRAGMENTS[@]}"
	rustc --version
	bindgen --version
	clang$LLVM_SUFFIX --version | head -n1
} | sha256sum | cut -c1-12)
BUILD=$DMUS_CACHE/build-$key
KMAKE=(make -C "$SRC" O="$BUILD" ARCH=x86_64 LLVM=$LLVM_SUFFIX -j"$(nproc)")

configure() {
	mkdir -p "$BUILD"
	"${KMAKE[@]}" -s rustavailable
	"${KMAKE[@]}" -s tinyconfig
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" \
		"${FRAGMENTS[@]}" >/dev/null
	"${KMAKE[@]}" -s olddefconfig
	# Every option the fragment sets must have survived olddefconfig.
	local missing=0 line
	while read -r line; do
		case $line in
		CONFIG_*=n) grep -qx "# ${line%=n} is not set" "$BUILD/.config" ||
			grep -qx "${line%=n}=n" "$BUILD/.config" || { log "not off: $line"; missing=1; } ;;
		CONFIG_*=*) grep -qx "$line" "$BUILD/.config" || { log "not set: $line"; missing=1; } ;;
		esac
	done < <(cat "${FRAGMENTS[@]}" | grep -E '^CONFIG_')
	[ $missing -eq 0 ] || die "the kernel configuration lost options of ${FRAGMENTS[*]}"
}

build() {
	"${KMAKE[@]}" -s bzImage modules
	rm -rf "$BUILD/modroot"
	"${KMAKE[@]}" -s INSTALL_MOD_PATH="$BUILD/modroot" modules_install >/dev/null
	"${KMAKE[@]}" -s INSTALL_HDR_PATH="$BUILD/usr" headers_install >/dev/null
	"${KMAKE[@]}" -s kernelrelease >"$BUILD/kernelrelease"
}

if [ ! -f "$BUILD/.dmus-built" ]; then
	log "building the $FLAVOUR kernel $(cat "$DMUS_CACHE/src/VERSION") in $BUILD (8-13 minutes on 2 cores)"
	# stdout carries only the build directory (callers capture it): the
	# kernel's own output (e.g. "Rust is available!") goes to stderr.
	phase kernel-config configure >&2
	phase kernel-build build >&2
	touch "$BUILD/.dmus-built"
else
	log "kernel $(cat "$BUILD/kernelrelease") cached in $BUILD"
fi
ln -sfn "$BUILD" "$LINK"
echo "$BUILD"
