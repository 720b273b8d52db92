#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module on a stock distribution kernel: Debian's own Rust-enabled Linux
# 7.2 (trixie-backports), built with DKMS as a user would build it, then
# loaded on that kernel's own image in QEMU.
#
#  1. A Debian trixie root (mmdebstrap, from this machine's packages; the
#     machine's apt sources are never changed) with trixie's rustc, rust-src,
#     bindgen, gcc-14, dkms, and trixie-backports' linux-headers and
#     linux-source of the kernel below; the kernel's image and modules
#     (linux-binary-*, linux-modules-*) downloaded there and unpacked.
#  2. In that root, as root: scripts/dkms-install.sh -k RELEASE (the
#     sources copied to /usr/src, dkms.conf from scripts/dkms.conf.in,
#     dkms install, whose build is scripts/dkms-build.sh); the kselftests
#     built there with trixie's gcc against the same kernel source.
#  3. QEMU (TCG, 2 CPUs, as scripts/vm.sh) boots Debian's vmlinuz with an
#     initramfs of trixie's busybox, kmod and alsa-utils, Debian's own ALSA
#     modules and the DKMS-installed module; the guest
#     (scripts/guest-debian.sh) checks the module, then runs the loopback
#     kselftest and the aplaymidi/arecordmidi round trip of real files
#     (dmus_play_test.sh) through the kernel's runner, and the kernel-log scan.
#
# Everything is cached in $DMUS_CACHE/debian/ (the root, the kernel
# packages, the module's prepared kernel tree inside the root); a second run
# reuses it, and repeats the DKMS install only when the module's sources
# changed (DMUS_DEBIAN_REBUILD=1 forces it). Prints the KTAP results and a
# closing line naming the stock kernel release; exits non-zero on any
# failure.
#
# Usage: scripts/debian.sh      (as root)

# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

DEB_RELEASE=7.2.12+deb13-amd64
DEB_VERSION=7.2.12-1~bpo13+1
DEB_SERIES=7.2
DEB=$DMUS_CACHE/debian
ROOT=$DEB/root
BOOT=$DEB/boot
# Where things are inside the root.
R_SRC=/root/snd-dmus-mpu401
R_KBUILD=/var/lib/snd-dmus-mpu401/kbuild-$DEB_RELEASE
R_STAGE=/root/dmus-stage
ROOT_PACKAGES=(
	rustc rust-src bindgen libclang-dev gcc-14 make bc flex bison libelf-dev libssl-dev
	kmod cpio xz-utils python3 openssl dkms rsync
	"linux-headers-$DEB_RELEASE" "linux-source-$DEB_SERIES=$DEB_VERSION"
	# The guest's user space.
	busybox-static alsa-utils
)
# Debian's modules the guest loads (with what modules.dep adds).
GUEST_MODULES=(soundcore snd snd-timer snd-pcm snd-rawmidi snd-hwdep snd-seq-device snd-seq
	snd-seq-midi-event snd-seq-midi)
# The guest's programs, from the root.
GUEST_BINS=(/usr/bin/kmod /usr/bin/aplaymidi /usr/bin/arecordmidi /usr/bin/amidi
	/usr/bin/aconnect /usr/bin/aseqdump)

[ "$(id -u)" -eq 0 ] || die "scripts/debian.sh runs as root (mmdebstrap, chroot, dkms)"

# Runs "$@" inside the root, with /proc, /sys, /dev, a /tmp and the
# machine's resolv.conf mounted in a private mount namespace (gone with it).
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare --mount --propagation private -- bash -euc '
		r=$1
		shift
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/tmp"
		if [ -f /etc/resolv.conf ]; then
			rm -f "$r/etc/resolv.conf"
			touch "$r/etc/resolv.conf"
			mount --bind /etc/resolv.conf "$r/etc/resolv.conf"
		fi
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 TERM=dumb "$@"
	' in_root "$ROOT" "$@"
}

# The machine's Debian mirror, read from its own apt configuration.
debian_mirror() {
	local uri
	uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v security | head -n1 || true)
	[ -n "$uri" ] || uri=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null |
		awk '{print $2}' | grep -v security | head -n1 || true)
	[ -n "$uri" ] || die "no Debian mirror found in the machine's apt sources"
	echo "$uri"
}

# 1a. The trixie root, rebuilt only when its package list changes.
make_root() {
	local key mirror
	key=$(printf '%s\n' "${ROOT_PACKAGES[@]}" | sha256sum | cut -c1-12)
	if [ "$(cat "$ROOT/.dmus-root" 2>/dev/null)" = "$key" ]; then
		log "trixie root: $ROOT (cached)"
		return 0
	fi
	if ! command -v mmdebstrap >/dev/null; then
		log "installing mmdebstrap (bookworm)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends mmdebstrap >/dev/null; } ||
			die "cannot install mmdebstrap from the machine's apt sources"
	fi
	mirror=$(debian_mirror)
	rm -rf "$ROOT" "$ROOT.tmp"
	mkdir -p "$DEB"
	local include
	include=$(
		IFS=,
		echo "${ROOT_PACKAGES[*]}"
	)
	mmdebstrap --variant=apt --include="$include" trixie "$ROOT.tmp" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" \
		"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main" ||
		die "mmdebstrap of the trixie root failed (see above)"
	echo "$key" >"$ROOT.tmp/.dmus-root"
	mv "$ROOT.tmp" "$ROOT"
}

# 1b. Debian's kernel image and modules: downloaded with the root's apt,
# unpacked in $BOOT.
fetch_kernel() {
	local stamp=$BOOT/.dmus-$DEB_VERSION
	if [ -f "$stamp" ] && [ -s "$BOOT/usr/lib/modules/$DEB_RELEASE/modules.dep" ]; then
		log "kernel $DEB_RELEASE: $BOOT (cached)"
		return 0
	fi
	mkdir -p "$ROOT/root/debs"
	# mmdebstrap leaves the root without package lists.
	in_root sh -c "cd /root/debs && rm -f ./*.deb && apt-get update -qq && apt-get download -q \
		linux-binary-$DEB_RELEASE=$DEB_VERSION linux-modules-$DEB_RELEASE=$DEB_VERSION" ||
		die "apt-get download of linux-binary-$DEB_RELEASE and linux-modules-$DEB_RELEASE $DEB_VERSION failed"
	rm -rf "$BOOT"
	mkdir -p "$BOOT"
	local deb
	for deb in "$ROOT"/root/debs/*.deb; do
		dpkg -x "$deb" "$BOOT"
	done
	rm -rf "$ROOT/root/debs"
	vmlinuz >/dev/null
	# modules.order and modules.builtin* come with the headers (in the
	# root); modules.dep is made at installation: here, once.
	local mods=$BOOT/usr/lib/modules/$DEB_RELEASE
	[ -d "$mods/kernel" ] || die "no modules in the unpacked linux-modules-$DEB_RELEASE ($mods)"
	cp "$ROOT/lib/modules/$DEB_RELEASE"/modules.{order,builtin,builtin.modinfo} "$mods/"
	ln -s usr/lib "$BOOT/lib"
	depmod -b "$BOOT" "$DEB_RELEASE"
	[ -s "$mods/modules.dep" ] || die "depmod made no modules.dep for $mods"
	touch "$stamp"
}

vmlinuz() {
	local f
	for f in "$BOOT/usr/lib/modules/$DEB_RELEASE/vmlinuz" "$BOOT/boot/vmlinuz-$DEB_RELEASE"; do
		[ -f "$f" ] && echo "$f" && return 0
	done
	die "no vmlinuz in $BOOT"
}

# 2a. The module with DKMS, in the root: a clone's files copied in, then the
# user's command. Skipped when the copied sources are the ones installed
# last time.
dkms_install() {
	mkdir -p "$ROOT$R_SRC"
	rsync -a --delete --exclude .git --exclude target --exclude '*.o' --exclude '*.cmd' \
		--exclude '*.ko' --exclude '*.mod' --exclude '*.mod.c' --exclude modules.order \
		--exclude Module.symvers --exclude glue_generated.rs --exclude '/selftests/dmus_*_test' \
		--exclude /selftests/dmus_reports --exclude /selftests/dmus_bench \
		"$TOP/" "$ROOT$R_SRC/" || return 1
	local key
	# What scripts/dkms-install.sh installs.
	key=$(cd "$ROOT$R_SRC" && find Kbuild Makefile rust scripts/glue-bindgen.sh scripts/dkms-build.sh \
		scripts/dkms-install.sh scripts/dkms.conf.in -type f \
		-not -path 'rust/host/*' -not -path 'rust/tools/*' -not -path 'rust/fuzz/*' -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
	if [ -z "${DMUS_DEBIAN_REBUILD:-}" ] && [ "$(cat "$DEB/.dmus-dkms" 2>/dev/null)" = "$key" ] &&
		installed_module >/dev/null 2>&1; then
		log "DKMS: the sources are unchanged since the last install ($(installed_module))"
		return 0
	fi
	rm -f "$DEB/.dmus-dkms"
	in_root bash "$R_SRC/scripts/dkms-install.sh" -k "$DEB_RELEASE" || return 1
	installed_module >/dev/null || die "dkms install reported success but no module is installed for $DEB_RELEASE"
	echo "$key" >"$DEB/.dmus-dkms"
}

# The DKMS-installed module in the root (path inside the root).
installed_module() {
	local f
	for f in "$ROOT/lib/modules/$DEB_RELEASE/updates/dkms"/snd-dmus-mpu401.ko*; do
		[ -f "$f" ] && echo "${f#"$ROOT"}" && return 0
	done
	return 1
}

# 2b. The kselftests the guest runs, built in the root with trixie's gcc
# against the source of the kernel prepared by the DKMS build (its UAPI
# headers exported there once).
selftests_build() {
	local cc
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$ROOT$R_KBUILD/.config")
	[ -n "$cc" ] || die "no prepared kernel tree in the root ($R_KBUILD): the DKMS build makes it"
	if [ ! -f "$ROOT$R_KBUILD/usr/include/sound/asound.h" ]; then
		in_root make -s -C "$R_KBUILD" CC="$cc" KERNELRELEASE="$DEB_RELEASE" headers
	fi
	rm -rf "$ROOT$R_STAGE" "$ROOT/root/dmus-selftests"
	mkdir -p "$ROOT$R_STAGE" "$ROOT/root/dmus-selftests"
	in_root make -C "$R_SRC/selftests" --no-print-directory -s KSRC="$R_KBUILD" KBUILD="$R_KBUILD" \
		OUTPUT=/root/dmus-selftests INSTALL_PATH="$R_STAGE/selftests" \
		TEST_GEN_PROGS=dmus_loopback_test TEST_PROGS=dmus_play_test.sh install_collection
}

# 3a. The guest's files: /opt/dmus (the stage) and its whole initramfs.
make_initrd() {
	local out=$1 img
	img=$(mktemp -d)
	# The root's programs and every library they load, dereferenced inside
	# the root (its links are absolute there).
	# shellcheck disable=SC2016 # expanded by the inner bash
	in_root bash -euc '
		bb=$(command -v busybox)
		files=("$bb" "$@" /usr/lib/x86_64-linux-gnu/libgcc_s.so.1)
		for b in "$bb" "$@" /root/dmus-stage/selftests/dmus/*; do
			[ -x "$b" ] && [ -f "$b" ] || continue
			ldd "$b" 2>/dev/null | grep -o "/[^ ]*" >>/tmp/libs || true
		done
		mapfile -t libs < <(sort -u /tmp/libs)
		tar -chf - "${files[@]}" "${libs[@]}" /usr/share/alsa 2>/dev/null
	' guest "${GUEST_BINS[@]}" | tar -C "$img" -xf -
	mkdir -p "$img"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,opt}
	[ -e "$img/bin/busybox" ] || ln -s ../usr/bin/busybox "$img/bin/busybox"
	local t
	for t in insmod rmmod lsmod modprobe modinfo depmod; do
		ln -sf /usr/bin/kmod "$img/sbin/$t"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$img/etc/passwd"
	echo "root:x:0:" >"$img/etc/group"
	install -m 0755 "$TOP/scripts/guest-init" "$img/init"

	# Debian's modules (xz-compressed, as packaged: trixie's kmod loads them)
	# and the module DKMS installed, at its DKMS place.
	local mods=$BOOT/usr/lib/modules/$DEB_RELEASE gm=$img/lib/modules/$DEB_RELEASE m deps
	mkdir -p "$gm/updates/dkms" "$img/usr/lib"
	# trixie's kmod may look in /usr/lib/modules (merged /usr), guest-init
	# in /lib/modules.
	ln -s /lib/modules "$img/usr/lib/modules"
	cp "$mods"/modules.{order,builtin,builtin.modinfo} "$gm/"
	deps=$(modinfo -F depends "$ROOT$(installed_module)" | tr , ' ')
	# shellcheck disable=SC2086 # $deps is a list of module names
	for m in $(resolve_modules "$mods" "${GUEST_MODULES[@]}" $deps); do
		install -D -m 0644 "$mods/$m" "$gm/$m"
	done
	cp "$ROOT$(installed_module)" "$gm/updates/dkms/"
	depmod -b "$img" "$DEB_RELEASE"

	# The stage: the selftests, the tools, the MIDI files and their wire bytes,
	# the module uncompressed for the tests that load it by path
	# (finit_module), the guest's commands.
	local st=$img/opt/dmus f
	mkdir -p "$st/midi" "$st/raw" "$st/dkms"
	cp -a "$ROOT$R_STAGE/selftests" "$st/"
	install -m 0755 "$TOP/rust/target/release/midicmp" "$st/midicmp"
	install -m 0755 "$TOP/scripts/guest-tests.sh" "$st/guest-tests.sh"
	install -m 0755 "$TOP/scripts/guest-debian.sh" "$st/guest-debian.sh"
	echo "sh /opt/dmus/guest-debian.sh 1" >"$st/run.sh"
	case $(installed_module) in
	*.xz) xz -dc "$ROOT$(installed_module)" >"$st/dkms/snd-dmus-mpu401.ko" ;;
	*.zst) zstd -qdc "$ROOT$(installed_module)" >"$st/dkms/snd-dmus-mpu401.ko" ;;
	*.gz) gzip -dc "$ROOT$(installed_module)" >"$st/dkms/snd-dmus-mpu401.ko" ;;
	*) cp "$ROOT$(installed_module)" "$st/dkms/snd-dmus-mpu401.ko" ;;
	esac
	cp /usr/share/games/openttd/baseset/openmsx/*.mid /usr/share/doc/csound-doc/html/examples/*.mid \
		"$st/midi/"
	for f in "$st"/midi/*.mid; do
		"$TOP/rust/target/release/midicmp" raw "$f" -o "$st/raw/$(basename "$f" .mid).raw"
	done
	(cd "$img" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$img"
}

# Prints the paths (relative to the modules directory) of the named modules
# and of every module they depend on, from modules.dep; a module built into
# the kernel (modules.builtin) needs nothing.
resolve_modules() {
	local dir=$1
	shift
	awk -v want="$*" '
		function norm(s) { gsub(/_/, "-", s); return s }
		function name(p, b) { b = p; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); return norm(b) }
		function add(p, k, d, j) {
			if (p in seen) return
			seen[p] = 1
			print p
			k = split(deps[p], d, " ")
			for (j = 1; j <= k; j++) add(d[j])
		}
		FILENAME ~ /modules.builtin$/ { builtin[name($1)] = 1; next }
		{ m = $1; sub(/:$/, "", m); byname[name(m)] = m; $1 = ""; deps[m] = $0 }
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				nm = norm(w[i])
				if (nm in byname) add(byname[nm])
				else if (!(nm in builtin)) { print "resolve_modules: no module " nm > "/dev/stderr"; bad = 1 }
			}
			exit bad
		}' "$dir/modules.builtin" "$dir/modules.dep"
}

# No QEMU run while another one is running (CPU-heavy steps stay
# sequential): waits DMUS_QEMU_WAIT seconds at most (default 600).
wait_for_qemu() {
	local waited=0
	while pgrep -f qemu-system >/dev/null; do
		[ $waited -lt "${DMUS_QEMU_WAIT:-600}" ] ||
			die "another qemu-system is still running after ${DMUS_QEMU_WAIT:-600} s: not starting a VM now (DMUS_QEMU_WAIT sets the wait)"
		[ $waited -gt 0 ] || log "another qemu-system is running: waiting for it"
		sleep 10
		waited=$((waited + 10))
	done
}

# 3b. Boots Debian's kernel with the initramfs (as scripts/vm.sh); the
# serial log goes to $1, the console to the terminal.
boot() {
	local log=$1 initrd=$2
	wait_for_qemu
	set +e
	timeout --foreground -k 5 1800 qemu-system-x86_64 \
		-accel tcg -cpu max,la57=off -smp 2 -m 1024 \
		-display none -no-reboot -monitor none -serial stdio \
		-kernel "$(vmlinuz)" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4" \
		</dev/null | tee "$log" | console_filter
	set -e
}

# Each step runs with errexit; a failing one ends the script, and the EXIT
# trap says which.
STEP=
step() {
	STEP=$1
	local t=$SECONDS
	shift
	log "phase $STEP: start"
	"$@"
	log "phase $STEP: done in $((SECONDS - t)) s"
	STEP=
}
work=$(mktemp -d)
on_exit() {
	local rc=$?
	rm -rf "$work"
	if [ $rc -ne 0 ] && [ -n "$STEP" ]; then
		log "phase $STEP: FAILED (exit $rc)"
		echo "stock kernel $DEB_RELEASE: scripts/debian.sh failed in phase $STEP; 0 passed, 1 failed"
	fi
}
trap on_exit EXIT

start=$SECONDS
step setup bash "$TOP/scripts/setup.sh"
step debian-root make_root
step debian-kernel fetch_kernel
log "root toolchain: $(in_root sh -c 'rustc --version; x86_64-linux-gnu-gcc-14 --version | head -n1; bindgen --version; dkms --version' |
	paste -sd';' | sed 's/;/; /g')"
# shellcheck disable=SC2016 # expanded in the root
versions=$(in_root sh -c 'echo "$(rustc --version | cut -d" " -f1-2), gcc $(x86_64-linux-gnu-gcc-14 -dumpfullversion), $(bindgen --version), $(dkms --version)"')
STEP=debian-dkms
log "phase $STEP: start"
t=$SECONDS
if ! dkms_install; then
	STEP=
	log "phase debian-dkms: FAILED after $((SECONDS - t)) s"
	echo "not ok 1 debian: dkms install of snd-dmus-mpu401 on $DEB_RELEASE"
	echo "stock kernel $DEB_RELEASE (Debian linux $DEB_VERSION; $versions): DKMS build failed; 0 passed, 1 failed"
	exit 1
fi
log "phase $STEP: done in $((SECONDS - t)) s"
STEP=
echo "ok 1 debian: dkms install of snd-dmus-mpu401 on $DEB_RELEASE ($(installed_module))"
step debian-selftests selftests_build
step tools cargo build --quiet --release --manifest-path "$TOP/rust/Cargo.toml" -p midicmp
step debian-initrd make_initrd "$work/initrd.cpio.gz"
mkdir -p "$DMUS_CACHE/logs"
LOG=$DMUS_CACHE/logs/debian-$(date +%Y%m%d-%H%M%S)-$$.log
step debian-vm boot "$LOG" "$work/initrd.cpio.gz"
rc=$(grep -a -o '^DMUS-EXIT=[0-9]*' "$LOG" | tail -n1 | cut -d= -f2 || true)
[ -n "$rc" ] || log "the guest reported no exit status (panic or timeout); serial log: $LOG"

# Counts: the DKMS install, the guest's own checks ("ok N debian: ..."), the
# kselftests' per-test lines (nested by the runner: "# ok N name"); a test
# program that failed without reporting any test counts as one failure, and
# so does a guest that reported no exit status.
read -r p f < <(tr -d '\r' <"$LOG" | awk '
	/^ok [0-9]+ debian: / { p++ }
	/^not ok [0-9]+ debian: / { f++ }
	/^# ok [0-9]+ / { if ($0 !~ /# SKIP/) p++; n++ }
	/^# not ok [0-9]+ / { f++; n++ }
	/^(not )?ok [0-9]+ selftests:/ { if (n == 0 && $1 == "not") f++; n = 0 }
	END { print p + 1, f + 0 }')
{ [ -n "$rc" ] && [ "$rc" -eq 0 ]; } || [ "$f" -gt 0 ] || f=$((f + 1))
log "debian: $((SECONDS - start)) s in all; serial log $LOG"
echo "stock kernel $DEB_RELEASE (Debian linux $DEB_VERSION; $versions): $p passed, $f failed"
[ "$f" -eq 0 ]
