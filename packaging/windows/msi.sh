#!/usr/bin/env bash
# Builds the Windows installer with wixl (Debian's `wixl` package, from msitools): the release
# binaries cross-built for x86_64-pc-windows-gnu (built here when missing), the default
# configuration, packaging/windows/dlp-scan.wxs. Output: target/windows/dlp-scan-VERSION-x64.msi
# (its path is printed last). The MSI is not signed.
#
# wixl (0.101) does not know the NeverOverwrite and Permanent attributes of a component, so they
# are set in the Component table afterwards (msibuild) and checked: the configuration must never
# be overwritten or removed by an upgrade.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=x86_64-pc-windows-gnu
release="target/$target/release"
[ -f "$release/dlp-scan.exe" ] && [ -f "$release/dlp-agent.exe" ] || cargo build --release --target "$target" --bins

# MSI versions are numbers only: the crate's x.y.z, without a pre-release part.
version=$(sed -n 's/^version = "\([0-9.]*\).*"$/\1/p' Cargo.toml | head -n 1)
stage=target/windows/stage
rm -rf "$stage"
mkdir -p "$stage"
cp "$release/dlp-scan.exe" "$release/dlp-agent.exe" "$stage/"
# The release profile keeps line tables for backtraces here; installed copies need none (the
# MSI shrinks from about 50 to 18 MB).
x86_64-w64-mingw32-strip --strip-debug "$stage/dlp-scan.exe" "$stage/dlp-agent.exe"
cp config/default.toml "$stage/config.toml"
cp packaging/windows/dlp-scan.wxs "$stage/"
msi="target/windows/dlp-scan-$version-x64.msi"
rm -f "$msi"
# wixl takes the files named in the .wxs from the folder it runs in.
(cd "$stage" && wixl --arch x64 --define "Version=$version" --output ../"$(basename "$msi")" dlp-scan.wxs)

# msidbComponentAttributes64bit (0x100) | Permanent (0x10) | NeverOverwrite (0x80).
msibuild "$msi" -q "UPDATE \`Component\` SET \`Attributes\` = 400 WHERE \`Component\` = 'Config'"
msiinfo export "$msi" Component | grep -q $'^Config\t.*\t400\t' || { echo "msi.sh: the configuration's component is not permanent" >&2; exit 1; }
echo "$msi"
