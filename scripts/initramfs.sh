#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the guest's base initramfs: busybox, kmod, the ALSA tools with their
# libraries and configuration, and the kernel's modules. Cached in
# $DMUS_CACHE, keyed by the kernel build and this script; prints its path.
#
# Usage: scripts/initramfs.sh KERNEL_BUILD_DIR

. "$(dirname "$0")/common.sh"

BUILD=${1:?usage: initramfs.sh KERNEL_BUILD_DIR}
GUEST_BINS=(aplaymidi arecordmidi amidi aconnect aseqdump arecord kmod trinity)

key=$( {
	cat "$BUILD/kernelrelease"
	stat -c %Y "$BUILD/.dmus-built"
	cat "$0" "$TOP/scripts/guest-init"
	dpkg-query -W busybox-static alsa-utils kmod libasound2 trinity
} | sha256sum | cut -c1-12)
OUT=$DMUS_CACHE/initramfs-$key.cpio.gz
if [ -f "$OUT" ]; then
	echo "$OUT"
	exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib64,usr/bin,usr/share,opt/dmus}
cp /bin/busybox "$root/bin/busybox"

# Copies a host binary and every library ldd names for it.
copy_with_libs() {
	local bin=$1 dest=$2 lib
	install -D -m 0755 "$bin" "$root$dest"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
	done
}
for b in "${GUEST_BINS[@]}"; do
	copy_with_libs "$(command -v "$b")" "/usr/bin/$b"
done
# The project's Rust tools (midicmp) link libgcc_s.
lib=$(gcc -print-file-name=libgcc_s.so.1)
install -D -m 0755 "$(readlink -f "$lib")" "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"
for t in insmod rmmod lsmod modprobe modinfo depmod; do
	ln -s /usr/bin/kmod "$root/sbin/$t"
done
cp -a /usr/share/alsa "$root/usr/share/alsa"
cp -a "$BUILD/modroot/lib" "$root/"
# nobody: the unprivileged user trinity drops to (dmus_trinity_test.sh).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
install -m 0755 "$TOP/scripts/guest-init" "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "guest image $(du -h "$OUT" | cut -f1) in $OUT"
echo "$OUT"
