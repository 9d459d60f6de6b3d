#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configures and builds the test kernel (Linux 7.2 or 7.3 + CONFIG_RUST, the C zloop as a
# module), cached under $ZLOOP_CACHE/kernel/<flavour>-<version>-<key>, where the
# key hashes the config fragments and the tool versions. A cached build is reused
# as is; run tools/deps.sh first.
#
# Usage: tools/kernel.sh [--series X] [--debug|--kasan] [--print-dir]
#   --debug      the debug flavour (kernel.config + kernel-debug.config)
#   --kasan      the debug flavour plus KASAN, built with clang (LLVM=-22);
#                run tools/deps.sh --kasan first
#   --print-dir  only print the build directory of the flavour (no build)
#   --series X   the kernel series (7.2, 7.3; default in lib.sh)
# Prints the build directory on stdout; the flavour's "current" link
# ($ZLOOP_CACHE/kernel/<series>-<flavour>, and kernel/<flavour> for the default
# series) points at it, and the module Makefile's KDIR defaults to
# $ZLOOP_CACHE/kernel/default.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
take_series_args "$@"
set -- ${REST_ARGS[@]+"${REST_ARGS[@]}"}

flavour=default print_only=0
for a in "$@"; do
    case $a in
    --debug) flavour=debug ;;
    --kasan) flavour=kasan ;;
    --print-dir) print_only=1 ;;
    *) die "usage: $0 [--series X] [--debug|--kasan] [--print-dir]" ;;
    esac
done

[[ -n $(linux_src_version) ]] || die "no kernel source yet: run tools/deps.sh"
KSRC=$(linux_src_dir)
KBUILD=$(kernel_build_dir "$flavour")
if [[ $print_only == 1 ]]; then echo "$KBUILD"; exit 0; fi
kmake_vars "$flavour"
if [[ $flavour == kasan ]]; then
    command -v "clang-$KASAN_LLVM" > /dev/null || die "clang-$KASAN_LLVM missing: run tools/deps.sh --kasan"
    # bindgen loads libclang at run time: use the one matching the C compiler
    export LIBCLANG_PATH=/usr/lib/llvm-$KASAN_LLVM/lib
fi
KMAKE=(make -C "$KSRC" O="$KBUILD" "${KMAKE_VARS[@]}")

mkdir -p "$ZLOOP_CACHE/kernel"
# One kernel build at a time (2 cores); a flavour already built needs no lock,
# so a test run does not wait for another flavour's build.
if [[ ! -f $KBUILD/.zloop-rs-built ]]; then
    exec 9> "$ZLOOP_CACHE/kernel/.lock"
    flock 9
fi

# An option that no Kconfig file of this source defines (renamed or removed
# in this series: tools/kernel-<series>.config has the new spelling).
unknown_option() { # CONFIG_NAME
    ! grep -rqx --include='Kconfig*' "config ${1#CONFIG_}" "$KSRC"
}
# every line of the fragments must be in .config
check_config() {
    local l s bad=0 f
    while read -r f; do
        while IFS= read -r l; do
            case $l in
            "# CONFIG_"*" is not set")
                s=${l#\# }; s=${s%% *}
                if grep -q "^$s=" "$KBUILD/.config"; then log "config: want $s unset, got $(grep "^$s=" "$KBUILD/.config")"; bad=1; fi ;;
            CONFIG_*)
                if ! grep -qxF "$l" "$KBUILD/.config" && unknown_option "${l%%=*}"; then
                    log "config: ${l%%=*} does not exist in Linux $ZLOOP_SERIES (ignored)"
                elif ! grep -qxF "$l" "$KBUILD/.config"; then
                    log "config: want $l, got '$(grep -E "^(# )?${l%%=*}[= ]" "$KBUILD/.config" || true)'"; bad=1
                fi ;;
            esac
        done < "$f"
    done < <(kernel_fragments "$flavour")
    return $bad
}

if [[ ! -f $KBUILD/.zloop-rs-built ]]; then
    log "kernel ($flavour): building in $KBUILD (7-15 min on 2 cores; log: $KBUILD/build.log)"
    rm -rf "$KBUILD"; mkdir -p "$KBUILD"
    frag=$KBUILD/fragment.config
    while read -r f; do cat "$f"; done < <(kernel_fragments "$flavour") > "$frag"
    t0=$(date +%s)
    "${KMAKE[@]}" rustavailable > "$KBUILD/build.log" 2>&1 || { cat "$KBUILD/build.log"; die "Rust toolchain not usable by the kernel"; }
    "${KMAKE[@]}" KCONFIG_ALLCONFIG="$frag" allnoconfig >> "$KBUILD/build.log" 2>&1 || { tail -n 30 "$KBUILD/build.log"; die "kernel config failed"; }
    check_config || die "kernel config does not match the fragments"
    "${KMAKE[@]}" -j"$(nproc)" all >> "$KBUILD/build.log" 2>&1 || { tail -n 40 "$KBUILD/build.log"; die "kernel build failed"; }
    [[ -f $KBUILD/arch/x86/boot/bzImage && -f $KBUILD/drivers/block/zloop.ko ]] || die "kernel build produced no bzImage/zloop.ko"
    # the make variables a module build against this tree needs (read by ../Makefile)
    {
        echo "# written by tools/kernel.sh: toolchain this kernel was built with"
        for v in "${KMAKE_VARS[@]}"; do echo "${v%%=*} := ${v#*=}"; done
        [[ $flavour == kasan ]] && echo "export LIBCLANG_PATH := $LIBCLANG_PATH"
    } > "$KBUILD/zloop-rs-toolchain.mk"
    log "kernel ($flavour): built in $(( $(date +%s) - t0 )) s"
    touch "$KBUILD/.zloop-rs-built"
else
    log "kernel ($flavour): cached ($KBUILD)"
fi
ln -sfn "$KBUILD" "$(kernel_link "$flavour")"
if [[ $ZLOOP_SERIES == "$DEFAULT_SERIES" ]]; then ln -sfn "$KBUILD" "$ZLOOP_CACHE/kernel/$flavour"; fi
echo "$KBUILD"
