# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of zloop_rs.ko.
#
#   make                       build against the cached test kernel (tools/setup)
#   make KDIR=/path/to/tree    build against any configured and prepared
#                              Rust-enabled kernel tree (CONFIG_RUST=y, `make
#                              prepare` done with the same rustc you pass here)
#   make CLIPPY=1              build with clippy lints
#   make install               install into /lib/modules/<release>/updates
#                              (kbuild runs depmod), then: modprobe zloop_rs
#   make fmt / make fmtcheck   rustfmt the sources / check that they are formatted
#   make clean
#
# The cached test kernel records the toolchain it was built with in
# $(KDIR)/zloop-rs-toolchain.mk (RUSTC, BINDGEN, RUST_LIB_SRC, ...); a module must
# be built by the very same rustc. For another tree, pass those variables on the
# command line or in the environment.

ZLOOP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zloop-rs
KDIR ?= $(ZLOOP_CACHE)/kernel/default

-include $(KDIR)/zloop-rs-toolchain.mk

TOOLCHAIN_VARS := RUSTC RUSTDOC RUSTFMT CLIPPY_DRIVER CARGO BINDGEN RUST_LIB_SRC LLVM
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) \
	$(foreach v,$(TOOLCHAIN_VARS),$(if $($(v)),$(v)=$($(v))))

RUST_SOURCES := $(wildcard $(CURDIR)/*.rs $(CURDIR)/kapi/*.rs)
RUSTFMT ?= rustfmt

all: modules

modules:
	@test -d $(KDIR) || { echo "KDIR=$(KDIR) does not exist: run tools/setup or pass KDIR=" >&2; exit 1; }
	$(KMAKE) modules

install: modules_install

modules_install:
	$(KMAKE) modules_install

clean:
	$(KMAKE) clean

fmt:
	$(RUSTFMT) --edition 2021 $(RUST_SOURCES)

fmtcheck:
	$(RUSTFMT) --edition 2021 --check $(RUST_SOURCES)

.PHONY: all modules install modules_install clean fmt fmtcheck
