#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Debian VM's command (scripts/debian.sh): on Debian's own kernel, with
# Debian's own ALSA modules and the module DKMS installed
# (/lib/modules/RELEASE/updates/dkms), checks that modprobe finds the DKMS
# module with the running kernel's vermagic and that it loads with a virtual
# MPU-401 on a simulated interrupt, then runs the kselftest collection the
# stage holds (dmus_loopback_test, dmus_play_test.sh) through the kernel's
# runner and the kernel-log scan (scripts/guest-tests.sh). Its own checks
# print as "ok N debian: ...". If the simulated IRQ cannot be had, the
# loopback tests run polled (virt_irq=0), and it says so.
K=$(uname -r)
# $1: how many "debian:" checks the host already reported (the DKMS install).
n=${1:-0}
failed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n debian: $2"
	else
		echo "not ok $n debian: $2"
		failed=1
	fi
}

# kmod by its path (/sbin/modprobe is trixie's kmod): Debian's busybox shell
# runs its own applets for bare names such as "modinfo".
echo "# $(cat /proc/version)"
echo "# taint before loading: $(cat /proc/sys/kernel/tainted)"
path=$(/sbin/modinfo -n snd-dmus-mpu401 2>&1)
case $path in
"/lib/modules/$K/updates/dkms/"*) r=0 ;;
*) r=1 ;;
esac
result $r "modprobe's snd-dmus-mpu401 is the one DKMS installed ($path)"
vermagic=$(/sbin/modinfo -F vermagic snd-dmus-mpu401 2>&1)
echo "# vermagic: $vermagic"
[ "${vermagic%% *}" = "$K" ]
result $? "its vermagic is the running kernel's ($K)"

# The module and its Debian dependencies through modprobe, a virtual MPU-401
# on the simulated interrupt (IRQ_SIM).
export DMUS_MODULE=/opt/dmus/dkms/snd-dmus-mpu401.ko
if /sbin/modprobe snd-dmus-mpu401 virt=1 2>/tmp/modprobe.err && grep -q DMusMPU401 /proc/asound/cards; then
	sed 's/^/# /' /proc/asound/cards
	echo "# lsmod: $(/sbin/lsmod | awk 'NR > 1 { printf "%s ", $1 }')"
	if grep -q 'virtual MPU-401, irq' /proc/asound/cards; then
		result 0 "modprobe snd-dmus-mpu401 virt=1: a card on a simulated IRQ"
	else
		result 1 "modprobe snd-dmus-mpu401 virt=1: the card has no simulated IRQ"
	fi
	/sbin/rmmod snd_dmus_mpu401
	result $? "rmmod snd_dmus_mpu401"
else
	sed 's/^/# /' /tmp/modprobe.err
	dmesg | tail -n 20 | sed 's/^/# /'
	result 1 "modprobe snd-dmus-mpu401 virt=1"
	if /sbin/modprobe snd-dmus-mpu401 virt=1 virt_irq=0 && grep -q DMusMPU401 /proc/asound/cards; then
		echo "# the simulated IRQ failed on this kernel: the loopback tests run polled (virt_irq=0)"
		export DMUS_VIRT_PARAMS="virt=1 virt_irq=0 baud=0 rx_fifo=256 tx_fifo=256 pnp=0,0,0,0,0,0,0,0"
		/sbin/rmmod snd_dmus_mpu401
	fi
fi
! dmesg | grep -E 'BUG:|WARNING:|Oops|Call Trace' | sed 's/^/# /' | grep -q .
result $? "no kernel report (BUG, WARNING, Oops) after the module's load and unload"
echo "# taint after: $(cat /proc/sys/kernel/tainted) (out-of-tree and unsigned modules taint, expected)"

sh /opt/dmus/guest-tests.sh
rc=$?
[ $rc -eq 0 ] && [ $failed -eq 0 ]
