#!/usr/bin/env bash
# System packages the drivers' test peers need (Debian). Idempotent; needs root (or sudo).
set -euo pipefail
pkgs=(aravis-tools gir1.2-aravis-0.8 libgirepository1.0-dev libcairo2-dev pkg-config
      libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins sox libsndfile1 git
      chromium fonts-dejavu-core)  # headless browser for the labelling-page test (driven by Playwright)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
# Wait for another apt (unattended upgrades, a second shell) instead of failing on its lock.
APT=(apt-get -o DPkg::Lock::Timeout=600)
$SUDO "${APT[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $SUDO "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
