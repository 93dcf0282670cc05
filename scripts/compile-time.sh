#!/usr/bin/env bash
# Build time of a crate with 100 cached functions, from clean: against
# memokit (this checkout) and against `cached` 4.1, side by side.
#
#   scripts/compile-time.sh            # debug builds, as `cargo build`
#   scripts/compile-time.sh --release  # release builds
#
# Each crate is generated in a fresh temporary directory with its own
# target directory, so every dependency is compiled; the registry must
# already hold the sources (`cargo fetch` once, or any earlier build).
# Prints, for each, the wall time of `cargo build` and the number of crates
# it compiled. Builds run one after the other, never at once.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=("$@")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One function per line, the same 100 signatures for both crates: 25
# permanent keyed, 25 with a TTL, 25 bounded, 15 keyed by &str, 10 without
# arguments.
functions() {
    local flavour=$1 i
    for i in $(seq 1 100); do
        if ((i <= 25)); then
            attr_memokit='#[cached]'; attr_cached='#[cached]'
            sig="pub fn f$i(x: u64, y: u32) -> u64 { x * $i + u64::from(y) }"
        elif ((i <= 50)); then
            attr_memokit='#[cached(ttl = "60s")]'; attr_cached='#[cached(ttl_secs = 60)]'
            sig="pub fn f$i(x: u64) -> u64 { x + $i }"
        elif ((i <= 75)); then
            attr_memokit='#[cached(capacity = 100)]'; attr_cached='#[cached(max_size = 100)]'
            sig="pub fn f$i(x: u64) -> String { format!(\"{x}-$i\") }"
        elif ((i <= 90)); then
            attr_memokit='#[cached]'; attr_cached='#[cached]'
            sig="pub fn f$i(name: &str) -> usize { name.len() + $i }"
        else
            attr_memokit='#[cached]'; attr_cached='#[once]'
            sig="pub fn f$i() -> u64 { $i }"
        fi
        if [[ $flavour == memokit ]]; then echo "$attr_memokit"; else echo "$attr_cached"; fi
        echo "$sig"
    done
}

make_crate() {
    local name=$1 dependency=$2 imports=$3 dir="$work/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$name"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
$dependency
EOF
    {
        echo "$imports"
        functions "$name"
    } >"$dir/src/lib.rs"
}

make_crate memokit "memokit = { path = \"$repo\" }" "use memokit::cached;"
make_crate cached 'cached = "=4.1.0"' "use cached::proc_macro::{cached, once};"

measure() {
    local dir="$work/$1" log="$work/$1.log" start end
    # Resolve (and fetch, if needed) outside the timed build.
    (cd "$dir" && cargo generate-lockfile --quiet)
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build "${profile[@]}" >"$log" 2>&1) || {
        cat "$log" >&2
        exit 1
    }
    end=$(date +%s.%N)
    local crates
    crates=$(grep -c '^ *Compiling ' "$log")
    printf "%-8s %6.1f s  %3d crates compiled\n" "$1" "$(awk "BEGIN { print $end - $start }")" "$crates"
}

echo "100 cached functions, clean build (${profile[*]:-debug}), $(nproc) CPUs"
measure memokit
measure cached
