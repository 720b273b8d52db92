#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The test VM's command (make check, scripts/selftest.sh): the kselftest
# collection through the kernel's runner (arguments go to run_kselftest.sh),
# then dmus_reports: kmemleak and the kernel log since boot, after every test.
# Its KTAP lines are nested like the runner's ("# ok N ...").
cd /opt/dmus/selftests || exit 1
./dmus/dmus_reports --baseline
./run_kselftest.sh "$@"
rc=$?
./dmus/dmus_reports >/tmp/dmus_reports.log 2>&1
reports=$?
echo "# selftests: dmus: dmus_reports (after every test)"
sed 's/^/# /' /tmp/dmus_reports.log
[ $rc -eq 0 ] && [ $reports -eq 0 ]
