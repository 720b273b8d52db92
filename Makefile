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
#   make fuzz       fuzz the capture parser, the unpacker and the synth's
#                   download validation (FUZZ_SECONDS
#                   each, default 60; installs cargo-fuzz when missing)
#   make CLIPPY=1   build the module with clippy
#   make install    register the module with DKMS and build and install it for
#                   the running kernel (scripts/dkms-install.sh; a Debian
#                   kernel with CONFIG_RUST, see README "Install on Debian");
#                   KERNELRELEASE= picks another installed kernel
#   make uninstall  remove it from DKMS
#   make debian     the module built by DKMS against Debian's own 7.2 kernel
#                   package and tested on that kernel's image in the VM

LLVM ?= -19
# LLVM= only for a kernel built with clang (ours); a gcc-built kernel (a
# distribution's) builds its modules with its own compiler.
KDIR_IS_CLANG = $(if $(KDIR),$(shell grep -qs '^CONFIG_CC_IS_CLANG=y' $(KDIR)/.config && echo y))
CACHE ?= $(HOME)/.cache/snd-dmus-mpu401

.PHONY: modules run check bench soak setup fuzz clean install uninstall debian

modules:
ifeq ($(KDIR),)
	@bash scripts/setup.sh
	@$(MAKE) --no-print-directory KDIR=$$(bash scripts/kernel.sh) modules
else
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(KDIR_IS_CLANG),LLVM=$(LLVM)) $(if $(CLIPPY),CLIPPY=1) modules
endif

install:
	@bash scripts/dkms-install.sh $(if $(KERNELRELEASE),-k $(KERNELRELEASE))

uninstall:
	@bash scripts/dkms-install.sh --remove

debian:
	@bash scripts/debian.sh

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
	cd rust/fuzz && for t in parser unpacker download; do \
		RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

clean:
	$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean,rm -f *.ko *.o rust/*.o rust/glue_generated.rs)
	rm -rf rust/target
