#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Generates the Rust declarations of the module's C glue (rust/glue.h, and
# the few ALSA and platform functions Rust calls directly) with bindgen, at
# build time, so that the header is the one source of every signature.
# Called by Kbuild; the kernel build directory's own bindgen command line
# (rust/bindings/.bindings_generated.rs.cmd) gives the C flags, whose
# relative paths are relative to that directory.
#
# Usage: glue-bindgen.sh OBJTREE HEADER OUTPUT   (absolute paths; BINDGEN
# names the bindgen binary)
set -eu
objtree=$1
header=$2
out=$3
cd "$objtree"
saved=rust/bindings/.bindings_generated.rs.cmd
[ -f "$saved" ] || { echo "glue-bindgen.sh: no $saved in $(pwd): not a built Rust kernel" >&2; exit 1; }
# The C flags after "--", without the kernel's dependency file and the
# object-name defines of its own bindings.
flags=$(sed -n 's/^savedcmd_[^ ]* := [^ ]*bindgen .* -o [^ ]* -- \(.*\) ; sed .*/\1/p' "$saved" |
	sed -e 's/-Wp,-MMD,[^ ]*//' -e "s/-DKBUILD_[A-Z]*='[^ ]*'//g" -e 's/-D__KBUILD_MODNAME=[^ ]*//')
[ -n "$flags" ] || { echo "glue-bindgen.sh: cannot read the C flags from $saved" >&2; exit 1; }
# shellcheck disable=SC2086 # $flags is a list of words
${BINDGEN:-bindgen} "$header" --use-core --ctypes-prefix ffi --no-layout-tests \
	--no-doc-comments --rust-target 1.85 \
	--allowlist-function 'dmus_.*|snd_dmus_.*' \
	--allowlist-function 'snd_card_register|snd_card_free' \
	--allowlist-function 'snd_rawmidi_receive|snd_rawmidi_transmit_(peek|ack|empty)' \
	--allowlist-function 'snd_pcm_period_elapsed' \
	--allowlist-function 'platform_device_unregister' \
	--allowlist-type 'snd_card|snd_rawmidi|snd_rawmidi_substream|snd_hwdep|snd_pcm|snd_pcm_substream|dmus_simirq|dmus_tasklet|dmus_peer_chip' \
	--opaque-type 'snd_.*' --no-recursive-allowlist \
	--raw-line 'use kernel::bindings::*;' \
	-o "$out" -- $flags -DMODULE
