# SPDX-License-Identifier: GPL-2.0
#
# snd-dmus-mpu401: the user-facing targets. Kbuild reads ./Kbuild, not this
# file, when it builds the module.
#
#   make            build snd-dmus-mpu401.ko (against the cached kernel, which
#                   is set up and built first if needed, or against KDIR=)
#   make run        the main job in the VM
#   make check      every test; closing line "N passed, N failed"
#   make bench      timing figures of both play paths on three real files
#   make soak       1000 load/unload cycles and 1000000 fuzz operations on
#                   the debug kernel (DMUS_SOAK_CYCLES, DMUS_FUZZ_OPS,
#                   DMUS_FUZZ_SEED change them)
#   make setup      install what the project needs (idempotent)
#   make fuzz       fuzz the capture parser and the unpacker (FUZZ_SECONDS
#                   each, default 60; installs cargo-fuzz when missing)
#   make CLIPPY=1   build the module with clippy

LLVM ?= -19
CACHE ?= $(HOME)/.cache/snd-dmus-mpu401

.PHONY: modules run check bench soak setup fuzz clean

modules:
ifeq ($(KDIR),)
	@bash scripts/setup.sh
	@$(MAKE) --no-print-directory KDIR=$$(bash scripts/kernel.sh) modules
else
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) $(if $(CLIPPY),CLIPPY=1) modules
endif

run:
	@bash scripts/run.sh

check:
	@bash scripts/check.sh

bench:
	@bash scripts/bench.sh

soak:
	@bash scripts/soak.sh

setup:
	@bash scripts/setup.sh

FUZZ_SECONDS ?= 60
fuzz:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz
	cd rust/fuzz && for t in parser unpacker; do \
		RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

clean:
	$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean,rm -f *.ko *.o rust/*.o rust/glue_generated.rs)
	rm -rf rust/target
