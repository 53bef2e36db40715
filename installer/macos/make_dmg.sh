#!/usr/bin/env bash
# Wrap the frozen macOS app (dist/Kinfolk.app) in a compressed disk image with an Applications link.
#   bash installer/macos/make_dmg.sh dist/Kinfolk.app dist/Kinfolk-0.1.0.dmg
# Run by `python installer/build.py --package` on macOS. Signing and notarization are separate steps
# a maintainer with an Apple Developer ID runs before this (see installer/README.md); unsigned, the
# app opens after right-click → Open (Gatekeeper asks once).
set -euo pipefail
app="$1"; out="$2"
[ -d "$app/Contents/MacOS" ] || { echo "not an app bundle: $app" >&2; exit 1; }
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$out"
hdiutil create -volname Kinfolk -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$out"
echo "$out"
