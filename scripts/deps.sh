#!/usr/bin/env bash
# Installs the system packages camchat needs, and only those that are missing.
#
#   scripts/deps.sh build   what building and running the app needs
#   scripts/deps.sh test    the above plus what the test suite needs
#
# Supported: Debian 12 and Ubuntu 22.04 or later (apt). Elsewhere it names the
# packages and stops, so nothing is installed behind the user's back.
set -euo pipefail

build_pkgs=(gcc pkg-config libgl1-mesa-dev libgles-dev libx11-dev libxcursor-dev
  libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libopus-dev libvpx-dev
  libspeexdsp-dev)
test_pkgs=(xvfb xauth pulseaudio pulseaudio-utils iproute2 nftables)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "camchat: this system has no apt/dpkg. Supported are Debian 12 and Ubuntu 22.04+." >&2
  echo "camchat: install these packages (or your system's equivalents) and retry:" >&2
  echo "  ${want[*]}" >&2
  exit 1
fi

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "camchat: installing missing packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "camchat: not root and no sudo: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
