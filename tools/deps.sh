#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs and fetches everything the test kernel and the VM need, idempotently:
#   - bookworm packages (apt-get install; qemu from bookworm-backports),
#   - linux-source-<series> (newest <series>.x; --series, default in lib.sh) and
#     rust-src for $RUST_TC, downloaded from
#     sid / trixie-backports with a private apt configuration and extracted into
#     the cache (never installed),
#   - bindgen-cli $BINDGEN_VER from crates.io, virtme-ng $VNG_VER from PyPI.
# Each step is skipped when its result is already in the cache.
# --kasan: also install clang/lld/llvm (bookworm-security) for tools/kernel.sh --kasan.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
take_series_args "$@"
set -- ${REST_ARGS[@]+"${REST_ARGS[@]}"}
WANT_KASAN=
[[ ${1:-} == --kasan ]] && WANT_KASAN=1   # also clang/lld/llvm for the KASAN flavour
# (--debug is accepted and needs nothing more)

mkdir -p "$ZLOOP_CACHE"

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Refuses anything that would remove a package or come from outside bookworm.
apt_install_checked() { # apt-get install args...
    local sim bad
    sim=$(apt-get -s install --no-install-recommends "$@" 2>&1) || die "apt-get simulation failed: $sim"
    if grep -q '^Remv' <<<"$sim"; then
        die "installing $* would remove: $(grep '^Remv' <<<"$sim" | tr '\n' ' ')"
    fi
    bad=$(grep '^Inst' <<<"$sim" | grep -v -E 'Debian:12\.|Debian-Security:12|Debian Backports:oldstable-backports|bookworm' || true)
    [[ -z $bad ]] || die "refusing to install packages not from bookworm: $bad"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        > "$ZLOOP_CACHE/apt-install.log" 2>&1 || { tail -n 20 "$ZLOOP_CACHE/apt-install.log"; die "apt-get install failed"; }
}

host_packages() {
    local missing=() bp_missing=() p
    for p in "${HOST_PKGS[@]}" ${WANT_KASAN:+"${KASAN_PKGS[@]}"}; do pkg_installed "$p" || missing+=("$p"); done
    for p in "${BACKPORTS_PKGS[@]}"; do pkg_installed "$p" || bp_missing+=("$p"); done
    [[ ${#missing[@]} -eq 0 && ${#bp_missing[@]} -eq 0 ]] && return 0
    log "installing host packages: ${missing[*]} ${bp_missing[*]}"
    [[ $(id -u) == 0 ]] || die "need root to install packages"
    if [[ ${#bp_missing[@]} -gt 0 ]] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        cat > /etc/apt/sources.list.d/zloop-rs-bookworm-backports.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    apt-get update -q > "$ZLOOP_CACHE/apt-update.log" 2>&1 || { tail "$ZLOOP_CACHE/apt-update.log"; die "apt-get update failed"; }
    if [[ ${#missing[@]} -gt 0 ]]; then apt_install_checked "${missing[@]}"; fi
    if [[ ${#bp_missing[@]} -gt 0 ]]; then apt_install_checked -t bookworm-backports "${bp_missing[@]}"; fi
}

apt_priv_update() {
    mkdir -p "$APT_PRIV/lists/partial" "$APT_PRIV/cache/archives/partial" "$APT_PRIV/debs" "$APT_PRIV/empty.d"
    cat > "$APT_PRIV/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
EOF
    # refresh at most once a day
    if [[ -z $(find "$APT_PRIV/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1) ]]; then
        apt_priv apt-get -q update > "$APT_PRIV/update.log" 2>&1 || { tail "$APT_PRIV/update.log"; die "private apt update failed"; }
    fi
}

deb_download() { # pkg=version -> path of the .deb
    local pkg=${1%%=*} ver=${1#*=} f
    f=$(ls "$APT_PRIV/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [[ -z $f ]]; then
        (cd "$APT_PRIV/debs" && apt_priv apt-get -q download "$1" >&2) || die "apt-get download $1 failed"
        f=$(ls "$APT_PRIV/debs/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
    fi
    printf '%s\n' "$f"
}

kernel_source() {
    local ver=${LINUX_SRC_VERSION:-} dir deb x
    if [[ -z $ver ]]; then
        # newest <series>.x available in either suite; an existing extracted source is kept
        # if the archive is unreachable
        ver=$(apt_priv apt-cache madison "$LINUX_SRC_PKG" 2>/dev/null | awk '{print $3}' | sort -V | tail -n1 || true)
        [[ -n $ver ]] || ver=$(linux_src_version || true)
        [[ -n $ver ]] || die "no $LINUX_SRC_PKG found in sid or trixie-backports"
    fi
    dir=$ZLOOP_CACHE/src/linux-$ver
    if [[ ! -f $dir/.extracted ]]; then
        log "kernel source: $LINUX_SRC_PKG $ver"
        deb=$(deb_download "$LINUX_SRC_PKG=$ver")
        rm -rf "$dir" "$ZLOOP_CACHE/src/x"
        mkdir -p "$ZLOOP_CACHE/src/x" "$dir"
        dpkg-deb -x "$deb" "$ZLOOP_CACHE/src/x"
        x=$(ls "$ZLOOP_CACHE"/src/x/usr/src/"$LINUX_SRC_PKG".tar.*)
        tar -C "$dir" --strip-components=1 -xf "$x"
        rm -rf "$ZLOOP_CACHE/src/x"
        [[ -f $dir/Makefile ]] || die "kernel source extraction failed"
        touch "$dir/.extracted"
    fi
    printf '%s\n' "$ver" > "$(linux_src_version_file)"
    log "kernel source: $ver ($(make -s -C "$dir" kernelversion 2>/dev/null))"
}

rust_toolchain() {
    if [[ ! -x $RUST_TC_DIR/bin/rustc ]]; then
        log "installing rustup toolchain $RUST_TC"
        rustup toolchain install "$RUST_TC" --profile minimal -c rustfmt -c clippy
    fi
    "$RUST_TC_DIR/bin/rustc" --version | grep -q "^rustc $RUST_TC " || die "rustc is not $RUST_TC"
    local path_file=$ZLOOP_CACHE/rust-src-$RUST_TC.path
    if [[ -f $path_file && -f $(cat "$path_file")/core/src/lib.rs ]]; then return 0; fi
    # Debian's rust-src for exactly this rustc, else rustup's component.
    local ver dir lib
    ver=$(apt_priv apt-cache madison rust-src 2>/dev/null | awk '{print $3}' | grep -E "^${RUST_TC//./\\.}\+" | sort -V | tail -n1 || true)
    if [[ -n $ver ]]; then
        log "rust-src: Debian $ver"
        dir=$ZLOOP_CACHE/rust-src-$RUST_TC
        rm -rf "$dir"; mkdir -p "$dir"
        dpkg-deb -x "$(deb_download "rust-src=$ver")" "$dir"
        lib=$(readlink -f "$dir/usr/lib/rustlib/src/rust/library")
        # the kernel only needs library/
        find "$(dirname "$lib")" -mindepth 1 -maxdepth 1 ! -name library -exec rm -rf {} +
    else
        log "rust-src: no Debian rust-src for $RUST_TC, using rustup's component"
        rustup component add rust-src --toolchain "$RUST_TC"
        lib=$("$RUST_TC_DIR/bin/rustc" --print sysroot)/lib/rustlib/src/rust/library
    fi
    [[ -f $lib/core/src/lib.rs ]] || die "rust library sources not found at $lib"
    printf '%s\n' "$lib" > "$path_file"
}

bindgen() {
    if "$BINDGEN" --version 2>/dev/null | grep -q "bindgen $BINDGEN_VER"; then return 0; fi
    log "building bindgen-cli $BINDGEN_VER (1-3 min)"
    CARGO_HOME=$ZLOOP_CACHE/cargo-home RUSTC="$RUST_TC_DIR/bin/rustc" \
        "$RUST_TC_DIR/bin/cargo" install bindgen-cli --version "$BINDGEN_VER" --locked \
        --root "$ZLOOP_CACHE/bindgen-$BINDGEN_VER" > "$ZLOOP_CACHE/bindgen-install.log" 2>&1 \
        || { tail -n 30 "$ZLOOP_CACHE/bindgen-install.log"; die "bindgen install failed"; }
    "$BINDGEN" --version | grep -q "bindgen $BINDGEN_VER"
}

virtme_ng() {
    if "$VENV/bin/vng" --version 2>/dev/null | grep -q "$VNG_VER"; then return 0; fi
    log "installing virtme-ng $VNG_VER"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "virtme-ng==$VNG_VER" > "$ZLOOP_CACHE/pip-virtme-ng.log" 2>&1 \
        || { tail "$ZLOOP_CACHE/pip-virtme-ng.log"; die "pip install virtme-ng failed"; }
    "$VENV/bin/vng" --version | grep -q "$VNG_VER"
}

host_packages
apt_priv_update
kernel_source
rust_toolchain
bindgen
virtme_ng
log "dependencies ready in $ZLOOP_CACHE"
