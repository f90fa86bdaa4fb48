#!/usr/bin/env bash
# Installs the system packages camchat needs, and only those that are missing.
#
#   scripts/deps.sh build   what building and running the app needs
#   scripts/deps.sh test    the above plus what the test suite needs
#   scripts/deps.sh bench   the above plus the speech bench's (espeak-ng, sox,
#                           WebRTC's audio processing to compare with)
#
# Supported: Debian 12 and Ubuntu 22.04 or later (apt). Elsewhere it names the
# packages and stops, so nothing is installed behind the user's back.
set -euo pipefail

build_pkgs=(gcc pkg-config libgl1-mesa-dev libgles-dev libx11-dev libxcursor-dev
  libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libopus-dev libvpx-dev)
test_pkgs=(xvfb xauth pulseaudio pulseaudio-utils iproute2 nftables)
bench_pkgs=(espeak-ng sox libwebrtc-audio-processing-dev)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
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

# Another apt or dpkg (unattended upgrades, a software centre) may hold the
# package locks for a while: wait for it, up to CAMCHAT_APT_WAIT seconds
# (default 600), instead of failing at once. dpkg's own lock wait covers
# install; apt-get update has none, so it is retried while its error says
# a lock is held.
wait_s=${CAMCHAT_APT_WAIT:-600}
apt_locked='Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock|is another process using it'
apt_retry() {
  local deadline=$((SECONDS + wait_s)) said= err
  while :; do
    if err=$("${sudo[@]}" apt-get -o DPkg::Lock::Timeout="$wait_s" "$@" 2>&1 >/dev/null); then
      return 0
    fi
    if ! grep -Eq "$apt_locked" <<<"$err" || [ $SECONDS -ge $deadline ]; then
      echo "$err" >&2
      grep -Eq "$apt_locked" <<<"$err" &&
        echo "camchat: another package manager held the lock for ${wait_s} s; let it finish and retry" >&2
      return 1
    fi
    [ -n "$said" ] || echo "camchat: another package manager is running; waiting for it (up to ${wait_s} s)…"
    said=1
    sleep 3
  done
}
apt_retry update -qq
apt_retry install -y -qq --no-install-recommends "${missing[@]}"
