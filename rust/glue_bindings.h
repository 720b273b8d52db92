/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads for rust/glue.rs (scripts/glue-bindgen.sh): the glue's
 * own header, and the ALSA headers of the few core functions Rust calls
 * directly (their structures stay opaque in Rust).
 */
#include <sound/core.h>
#include <sound/hwdep.h>
#include <sound/pcm.h>
#include <sound/rawmidi.h>
#include "glue.h"
