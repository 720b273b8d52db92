#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs snd-dmus-mpu401 with DKMS on a distribution kernel built with Rust
# (checked on Debian trixie with the trixie-backports 7.2 kernel): copies the
# module's sources to /usr/src/snd-dmus-mpu401-VERSION/, writes dkms.conf
# there from scripts/dkms.conf.in, and runs `dkms install`. The build step is
# scripts/dkms-build.sh (it prepares the kernel's missing Rust artifacts once
# per kernel release). DKMS rebuilds the module on the next kernel update
# (AUTOINSTALL). Run as root. Any other registered version of the module is
# removed first.
#
# Usage: scripts/dkms-install.sh [-k KERNELRELEASE]    (default: uname -r)
#        scripts/dkms-install.sh --remove
# Environment: DMUS_DKMS_VERSION (default 0.1.0) names the DKMS version.
set -euo pipefail

NAME=snd-dmus-mpu401
VERSION=${DMUS_DKMS_VERSION:-0.1.0}
TOP=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '%s: %s\n' "$NAME" "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

K=$(uname -r)
remove_only=0
while [ $# -gt 0 ]; do
	case $1 in
	-k)
		K=${2:?-k needs a kernel release}
		shift 2
		;;
	--remove)
		remove_only=1
		shift
		;;
	*) die "usage: dkms-install.sh [-k KERNELRELEASE] | --remove" ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (DKMS installs into /usr/src and /lib/modules)"
command -v dkms >/dev/null || die "no dkms: install it (Debian: apt install dkms)"

# The checks first, so that a mismatch reads as itself rather than as a
# DKMS build failure, and leaves an installed version in place.
[ $remove_only -eq 1 ] || bash "$TOP/scripts/dkms-build.sh" --check "$K"

# Every registered version goes: one source tree per machine.
registered=$(dkms status -m "$NAME" 2>/dev/null | sed -n "s#^${NAME}[/,] *\([^,:]*\)[,:].*#\1#p" | sort -u)
for v in $registered; do
	say "removing the registered version $v"
	dkms remove -m "$NAME" -v "$v" --all >/dev/null
	rm -rf "/usr/src/$NAME-$v"
done
[ $remove_only -eq 0 ] || exit 0

dest=/usr/src/$NAME-$VERSION
rm -rf "$dest"
mkdir -p "$dest/scripts"
cp "$TOP/Kbuild" "$TOP/Makefile" "$dest/"
# The module's sources: rust/ without the host crates, the tools and any
# build output.
tar -C "$TOP" -c --exclude=target --exclude=rust/host --exclude=rust/synth/host --exclude=rust/tools \
	--exclude=rust/fuzz \
	--exclude='Cargo.*' --exclude='*.o' --exclude='*.cmd' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='*.d' --exclude='*.long-type-*' --exclude=rust/glue_generated.rs \
	rust | tar -C "$dest" -x
cp "$TOP/scripts/glue-bindgen.sh" "$TOP/scripts/dkms-build.sh" "$dest/scripts/"
sed "s/@VERSION@/$VERSION/g" "$TOP/scripts/dkms.conf.in" >"$dest/dkms.conf"

dkms add -m "$NAME" -v "$VERSION"
if ! dkms install -m "$NAME" -v "$VERSION" -k "$K"; then
	log=/var/lib/dkms/$NAME/$VERSION/build/make.log
	if [ -f "$log" ]; then
		say "the last lines of $log:"
		tail -n 30 "$log" >&2
		grep -h "^$NAME: error:" "$log" >&2 || true
	fi
	die "dkms install of $NAME $VERSION for kernel $K failed (see above)"
fi
say "installed for $K: $(ls /lib/modules/"$K"/updates/dkms/"$NAME".ko* 2>/dev/null || echo "?")"
say "load it with: modprobe $NAME (virt=1 for a virtual MPU-401 with a loopback cable)"
