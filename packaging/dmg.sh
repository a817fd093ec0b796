#!/usr/bin/env bash
# macOS: OpDial.app (built by `pyinstaller packaging/opdial.spec`) → a signed, notarised .dmg.
#
#   packaging/dmg.sh [DIST_DIR]            (default: dist; build.py calls it on macOS)
#
# Signing and notarisation run only when their environment variables are set; otherwise they are
# skipped with a message and the dmg is still made (fine for testing, not for distribution):
#   OPDIAL_CODESIGN_IDENTITY   "Developer ID Application: …" (also read by the spec to sign the app
#                              with the hardened runtime and packaging/macos/entitlements.plist)
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   notarytool credentials (an app-specific password)
#   or OPDIAL_NOTARY_PROFILE   a keychain profile made with `xcrun notarytool store-credentials`
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
dist="${1:-$root/dist}"
python="${PYTHON:-python3}"

name="$("$python" -c "import sys; sys.path.insert(0, '$here'); import opdial_build as b; print(b.app_metadata().name)")"
version="$("$python" -c "import sys; sys.path.insert(0, '$here'); import opdial_build as b; print(b.app_metadata().version)")"
app="$dist/$name.app"
dmg="$dist/$name-$version-macos-$(uname -m).dmg"

if [[ "$(uname)" != "Darwin" ]]; then
  echo "dmg.sh: needs macOS (hdiutil, codesign, notarytool); nothing to do here." >&2
  exit 2
fi
[[ -d "$app" ]] || { echo "dmg.sh: $app not found: run pyinstaller packaging/opdial.spec first" >&2; exit 1; }

identity="${OPDIAL_CODESIGN_IDENTITY:-}"
if [[ -n "$identity" ]]; then
  echo "Verifying the app's signature ($identity) ..."
  codesign --verify --deep --strict --verbose=2 "$app"
else
  echo "Signing skipped: OPDIAL_CODESIGN_IDENTITY is not set (the app is ad-hoc signed;" \
       "Gatekeeper will block it on other Macs)."
fi

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"  # drag-to-install
rm -f "$dmg"
hdiutil create -volname "$name $version" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg" >/dev/null
echo "Built $dmg"

if [[ -n "$identity" ]]; then
  codesign --force --timestamp --sign "$identity" "$dmg"
fi

if [[ -z "$identity" ]]; then
  echo "Notarisation skipped: an unsigned app cannot be notarised."
elif [[ -n "${OPDIAL_NOTARY_PROFILE:-}" ]]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$OPDIAL_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
elif [[ -n "${APPLE_ID:-}" && -n "${APPLE_TEAM_ID:-}" && -n "${APPLE_APP_PASSWORD:-}" ]]; then
  xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
  xcrun stapler staple "$dmg"
else
  echo "Notarisation skipped: set OPDIAL_NOTARY_PROFILE, or APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD."
fi
