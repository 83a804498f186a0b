#!/usr/bin/env bash
# Builds the Debian package: the release binaries, their man pages and shell completions
# (generated from the argument definitions by the binaries themselves), then `cargo deb`.
# Output: target/debian/dlp-scan_*.deb. Needs cargo-deb (`cargo install cargo-deb`).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
cargo build --release
assets=target/assets
mkdir -p "$assets"
for bin in dlp-scan dlp-agent; do
  "target/release/$bin" --generate man | gzip -9n > "$assets/$bin.1.gz"
  "target/release/$bin" --generate bash > "$assets/$bin.bash"
  "target/release/$bin" --generate zsh > "$assets/_$bin"
  "target/release/$bin" --generate fish > "$assets/$bin.fish"
done
cargo deb --no-build
