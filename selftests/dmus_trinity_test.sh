#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A syscall fuzzer no one here wrote: Debian's trinity, as the unprivileged
# user nobody, against the device nodes of an MPU-401 card (virtual chip)
# and of a synthesizer card whose open never blocks: control and the DMus
# device (hwdep).
# Afterwards the kernel log is clean, the MPU-401 card still loops back
# byte-exact, and the module unloads.
#
# Each node gets a run of its own, with that node as the only victim; a
# child that blocks in a call is killed and replaced by trinity's watchdog
# (after 30 s). A run that does not reach its syscall count
# (DMUS_TRINITY_OPS, default 500; make soak 20000) fails. Why the rawmidi
# and PCM nodes are not among the victims: below.
DIR=$(dirname "$(readlink -f "$0")")
. "$DIR/../kselftest/ktap_helpers.sh"
OPS=${DMUS_TRINITY_OPS:-500}
# Wall-clock limit of one run, seconds: 300, and 1 s for every 10 syscalls
# beyond 2000 (make soak's long runs).
LIMIT=$((300 + (OPS > 2000 ? (OPS - 2000) / 10 : 0)))
SYSCALLS="-c open -c openat -c close -c read -c write -c readv -c writev -c pread64
	-c pwrite64 -c ioctl -c poll -c ppoll -c select -c mmap -c munmap -c lseek
	-c fcntl -c dup -c newfstat -c flock -c fsync"

ktap_print_header
if ! command -v trinity >/dev/null; then
	ktap_skip_all "trinity is not in the guest image"
	exit "$KSFT_SKIP"
fi
rmmod snd_dmus_mpu401 2>/dev/null
modprobe -a snd-rawmidi snd-hwdep snd-pcm snd-seq-midi
dmesg -c >/dev/null
modprobe snd-dmus-mpu401 virt=1 synth=1 pnp=0,0,0,0,0,0,0,0 ||
	ktap_exit_fail_msg "modprobe snd-dmus-mpu401 virt=1 synth=1 failed"
# The cards, by their names in /proc/asound/cards.
mpu=$(awk '/DMus MPU-401 virt/ { print $1; exit }' /proc/asound/cards)
synth=$(awk '/DMus DLS Synth/ { print $1; exit }' /proc/asound/cards)
[ -n "$mpu" ] && [ -n "$synth" ] ||
	ktap_exit_fail_msg "no MPU-401 and synthesizer card in /proc/asound/cards"
nodes=
# Not the rawmidi nodes (midiC*D0) nor the synthesizer's capture PCM
# (pcmC*D0c): trinity's set-up lists the victim directory too and picks the
# files it opens at random with replacement, so it may open the node twice,
# and the second open (without O_NONBLOCK) of a rawmidi or PCM substream
# that the first holds waits forever: seen in a make check run (midiC0D0,
# before trinity's first syscall) and in a first try on the PCM. The control
# node and the DMus device never block an open (EBUSY).
for n in controlC$mpu hwC${mpu}D0 controlC$synth hwC${synth}D0; do
	[ -e "/dev/snd/$n" ] && nodes="$nodes $n"
done
set -- $nodes
ktap_set_plan $(($# + 3))

work=$(mktemp -d)
chmod 755 "$work"
# Input keeps arriving at the virtual chip's IN (a timing clock every 20 ms,
# through its debugfs "input"), so that a blocking read of the MPU-401
# card's rawmidi or DMus device returns instead of waiting for trinity's
# watchdog (30 s) to kill the child.
virt=$(ls -d /sys/kernel/debug/snd-dmus-mpu401-virt* 2>/dev/null | head -n1)
feeder=
if [ -n "$virt" ]; then
	(while :; do printf '\370' >"$virt/input"; sleep 0.02; done) 2>/dev/null &
	feeder=$!
fi
total=0
for n in $nodes; do
	# The node, copied (same device number) into a directory of its own,
	# readable and writable by nobody.
	mkdir "$work/$n"
	cp -a "/dev/snd/$n" "$work/$n/$n"
	chmod 666 "$work/$n/$n"
	chmod 755 "$work/$n"
	log=$work/$n.log
	t0=$(date +%s)
	(cd "$work" && timeout -s KILL "$LIMIT" trinity -q -l off -X -a 64 -C 2 -N "$OPS" -V "$work/$n" \
		--disable-fds=sockets,pipes,perf,epoll,eventfd,timerfd,testfile,memfd,drm \
		$SYSCALLS) >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - t0))
	# "Ran N syscalls. Successes: S  Failures: F"
	ran=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' "$log" | tail -n1)
	ran=${ran:-0}
	total=$((total + ran))
	if [ "$ran" -ge "$OPS" ]; then
		ktap_test_pass "trinity on $n: $ran syscalls in $secs s (exit $rc)"
	else
		sed 's/^/# /' "$log" | tail -n 20
		ktap_test_fail "trinity on $n: $ran of $OPS syscalls in $secs s (exit $rc)"
	fi
done
echo "# trinity: $total syscalls on $# device nodes"
[ -z "$feeder" ] || kill "$feeder"
wait 2>/dev/null

# The MPU-401 card still loops back byte-exact (rawmidi, 3 messages).
printf '\220\074\100\200\074\000\260\007\144' >"$work/sent"
amidi -p "hw:$mpu,0" -r "$work/back" -t 2 2>/dev/null &
reader=$!
sleep 0.5
amidi -p "hw:$mpu,0" -s "$work/sent"
wait $reader
back=$(od -An -tx1 "$work/back" | tr -s ' \n' ' ')
sent=$(od -An -tx1 "$work/sent" | tr -s ' \n' ' ')
if [ "$back" = "$sent" ]; then
	ktap_test_pass "the MPU-401 card loops back byte-exact after the fuzzing"
else
	ktap_test_fail "the MPU-401 card loops back byte-exact after the fuzzing (sent$sent, got$back)"
fi
unloaded=no
for i in 1 2 3 4 5 6 7 8 9 10; do
	if rmmod snd_dmus_mpu401 2>/dev/null; then
		unloaded=yes
		break
	fi
	sleep 1
done
[ $unloaded = yes ] && ktap_test_pass "the module unloads" || ktap_test_fail "the module unloads"
if dmesg | grep -E "BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|lockdep|possible recursive|circular locking"; then
	ktap_test_fail "kernel log clean"
else
	ktap_test_pass "kernel log clean"
fi
rm -rf "$work"
ktap_finished
