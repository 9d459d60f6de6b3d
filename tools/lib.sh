# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the zloop_rs tool scripts. Sourced, never run.
#
# Everything that is downloaded or built lives in the cache ($ZLOOP_CACHE,
# default ~/.cache/zloop-rs), outside the repository, so a clean clone reuses it.

# shellcheck shell=bash

ZLOOP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZLOOP_CACHE=${ZLOOP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zloop-rs}

# ---- pinned tools ----------------------------------------------------------
# rustc that builds the kernel and every module (the machine's rustup toolchain).
RUST_TC=${RUST_TC:-1.95.0}
BINDGEN_VER=0.72.1
LLVM_VER=19                     # libclang for bindgen (bookworm)
VNG_VER=1.42                    # virtme-ng (PyPI)
# Kernel series: the test kernel is built from linux-source-<series> (the newest
# <series>.x available). --series X on any tool (take_series_args) or
# ZLOOP_SERIES=X selects it; the default is DEFAULT_SERIES: the newest series
# on which the whole suite passes (7.3: it has the 7.3 C zloop to compare
# with, and is what Debian ships next; 7.2 keeps a build and a smoke run in
# every tools/test, and its whole suite with --series 7.2).
DEFAULT_SERIES=7.3
SERIES_LIST=(7.2 7.3)
ZLOOP_SERIES=${ZLOOP_SERIES:-$DEFAULT_SERIES}
LINUX_SRC_PKG=linux-source-$ZLOOP_SERIES

# bookworm packages (apt-get install). qemu comes from bookworm-backports because
# the machine's qemu-utils already does (bookworm's qemu-system-x86 would remove it).
HOST_PKGS=(make gcc bc flex bison cpio kmod libssl-dev libelf-dev
    "libclang-$LLVM_VER-dev" udev util-linux fio xfsprogs e2fsprogs btrfs-progs
    f2fs-tools attr gawk python3-venv python3-docutils liburing-dev libaio-dev zstd dkms)
BACKPORTS_PKGS=(qemu-system-x86)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
sha() { sha256sum | cut -c1-16; }

RUST_TC_DIR=$HOME/.rustup/toolchains/$RUST_TC-x86_64-unknown-linux-gnu
BINDGEN=$ZLOOP_CACHE/bindgen-$BINDGEN_VER/bin/bindgen
VENV=$ZLOOP_CACHE/virtme-ng-$VNG_VER
export LIBCLANG_PATH=/usr/lib/llvm-$LLVM_VER/lib

# Private apt configuration used only to *download* arch-independent archives
# (linux-source-7.x, rust-src) from sid / trixie-backports. It never touches
# the system's apt state, so nothing can be installed from those suites.
APT_PRIV=$ZLOOP_CACHE/apt
apt_priv() { # apt-get|apt-cache args...
    local tool=$1; shift
    "$tool" -o Dir::Etc::sourcelist="$APT_PRIV/sources.list" -o Dir::Etc::sourceparts="$APT_PRIV/empty.d" \
        -o Dir::Etc::preferences=/dev/null -o Dir::Etc::preferencesparts="$APT_PRIV/empty.d" \
        -o Dir::State::Lists="$APT_PRIV/lists" -o Dir::Cache="$APT_PRIV/cache" \
        -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# take_series_args ARGS...: takes "--series X" / "--series=X" out of a tool's
# arguments (up to a "--"; what follows it is a command's) into ZLOOP_SERIES,
# exported so that the tools it runs use the same series; the other arguments
# are left in REST_ARGS (use: take_series_args "$@"; set -- "${REST_ARGS[@]}").
take_series_args() {
    REST_ARGS=()
    while [[ $# -gt 0 ]]; do
        case $1 in
        --series) [[ $# -ge 2 ]] || die "--series needs a value (${SERIES_LIST[*]})"; ZLOOP_SERIES=$2; shift ;;
        --series=*) ZLOOP_SERIES=${1#--series=} ;;
        --) REST_ARGS+=("$@"); break ;;
        *) REST_ARGS+=("$1") ;;
        esac
        shift
    done
    [[ " ${SERIES_LIST[*]} " == *" $ZLOOP_SERIES "* ]] || die "unknown kernel series $ZLOOP_SERIES (${SERIES_LIST[*]})"
    LINUX_SRC_PKG=linux-source-$ZLOOP_SERIES
    export ZLOOP_SERIES
}

# The linux-source version of the series chosen by deps.sh (recorded there;
# caches made before there were series have one file for 7.2).
linux_src_version_file() { printf '%s/src/linux-source-%s.version\n' "$ZLOOP_CACHE" "$ZLOOP_SERIES"; }
linux_src_version() {
    cat "$(linux_src_version_file)" 2>/dev/null && return
    [[ $ZLOOP_SERIES == 7.2 ]] && cat "$ZLOOP_CACHE/src/linux-source.version" 2>/dev/null
}
# The link to the current build of a flavour of the series; the default
# series' builds are also linked as kernel/<flavour> (the Makefile's KDIR).
kernel_link() { # flavour
    printf '%s/kernel/%s-%s\n' "$ZLOOP_CACHE" "$ZLOOP_SERIES" "$1"
}
linux_src_dir() { printf '%s/src/linux-%s\n' "$ZLOOP_CACHE" "$(linux_src_version)"; }
rust_lib_src() { cat "$ZLOOP_CACHE/rust-src-$RUST_TC.path" 2>/dev/null; }

# The make variables every kernel build and every module build must share.
kmake_vars() { # [flavour] -> KMAKE_VARS array
    KMAKE_VARS=(RUSTC="$RUST_TC_DIR/bin/rustc" RUSTDOC="$RUST_TC_DIR/bin/rustdoc"
        RUSTFMT="$RUST_TC_DIR/bin/rustfmt" CLIPPY_DRIVER="$RUST_TC_DIR/bin/clippy-driver"
        CARGO="$RUST_TC_DIR/bin/cargo" BINDGEN="$BINDGEN" RUST_LIB_SRC="$(rust_lib_src)")
    if [[ ${1:-} == kasan ]]; then
        KMAKE_VARS+=(LLVM="-$KASAN_LLVM")
    fi
}

# Kernel flavours: "default", "debug" (gcc, lockdep/KFENCE/kmemleak/...) and
# "kasan" (the debug options plus KASAN, built with clang: LLVM=-$KASAN_LLVM).
# The build tree of a flavour is keyed by the linux-source version, the config
# fragments and the tool versions.
KASAN_LLVM=22
KASAN_PKGS=("clang-$KASAN_LLVM" "lld-$KASAN_LLVM" "llvm-$KASAN_LLVM" "libclang-$KASAN_LLVM-dev")
# tools/kernel-<series>.config, where it exists, names the options a series
# spells differently (e.g. 7.3's SYSCTL is 7.2's PROC_SYSCTL); kernel.sh
# ignores an option of the common fragments that the series does not have.
kernel_fragments() { # flavour -> fragment files
    printf '%s\n' "$ZLOOP_TOP/tools/kernel.config"
    if [[ -f $ZLOOP_TOP/tools/kernel-$ZLOOP_SERIES.config ]]; then
        printf '%s\n' "$ZLOOP_TOP/tools/kernel-$ZLOOP_SERIES.config"
    fi
    case $1 in
    debug) printf '%s\n' "$ZLOOP_TOP/tools/kernel-debug.config" ;;
    kasan) printf '%s\n' "$ZLOOP_TOP/tools/kernel-debug.config" "$ZLOOP_TOP/tools/kernel-kasan.config" ;;
    esac
}
kernel_key() { # flavour
    local f
    {
        echo "$1"
        linux_src_version
        while read -r f; do cat "$f"; done < <(kernel_fragments "$1")
        if [[ $1 == kasan ]]; then clang-$KASAN_LLVM --version 2>/dev/null | head -n1; else gcc --version | head -n1; fi
        "$RUST_TC_DIR/bin/rustc" --version
        "$BINDGEN" --version 2>/dev/null || echo "bindgen $BINDGEN_VER"
    } | sha
}
kernel_build_dir() { # flavour
    printf '%s/kernel/%s-%s-%s\n' "$ZLOOP_CACHE" "$1" "$(linux_src_version)" "$(kernel_key "$1")"
}

# A guest kernel log line that means the kernel is unhappy (tools/vm fails the
# run on it; the power-cut tests check the logs of the VMs they kill).
KERNEL_BAD_RE='(WARNING:|BUG:|Oops|kernel BUG|general protection fault|Kernel panic|KASAN:|UBSAN:|KFENCE:|possible circular locking|possible recursive locking|inconsistent lock state|blocked for more than|rust_kernel: panicked|Call Trace:)'
