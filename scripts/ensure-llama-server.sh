#!/usr/bin/env bash
# Builds the OpenAI-compatible server the remote-backend tests run against, once per machine and outside the repo:
# llama-cpp-python[server] (pinned) compiled from source into a venv in the cache folder. Idempotent: a finished
# build leaves a marker and later runs return at once. Prints the venv's python last.
# Override the folder with LONGROPE_QA_CACHE (default: $XDG_CACHE_HOME/longrope-qa or ~/.cache/longrope-qa).
#
# Measured on this project's 2-core machine: 23 min 40 s wall (12 min CPU) with the defaults; with LLAVA_BUILD=OFF at
# nice 10 beside five other engineers' jobs (load 11-13), 104 min 51 s. LLAVA_BUILD=OFF leaves out the multimodal
# library (mtmd, clip), which a text-only server never loads; llama.cpp's tests, examples, tools and its own server
# are off already when it is built as a subproject, and llama-cpp-python forces its common library on.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION=0.3.36
CACHE="${LONGROPE_QA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/longrope-qa}"
VENV="$CACHE/llama-cpp-python-$LLAMA_CPP_PYTHON_VERSION"

log() { echo "[ensure-llama-server] $*" >&2; }

build() {
  [ -f "$VENV/.complete" ] && return 0
  command -v cmake >/dev/null || { log "cmake is needed to build llama-cpp-python (apt-get install cmake)"; exit 1; }
  command -v c++ >/dev/null || { log "a C++ compiler is needed to build llama-cpp-python (apt-get install g++)"; exit 1; }
  local python="${PYTHON:-python3}"
  log "building llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION from source into $VENV (about 20 minutes on 2 cores)"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  local started=$SECONDS
  CMAKE_ARGS="-DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$VENV/bin/python" -m pip install --no-cache-dir --quiet "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" \
    >"$CACHE/llama-cpp-python-build.log" 2>&1 \
    || { tail -40 "$CACHE/llama-cpp-python-build.log" >&2; log "the build failed (log: $CACHE/llama-cpp-python-build.log)"; exit 1; }
  "$VENV/bin/python" -c "import llama_cpp.server.app" # the server's imports resolve
  log "built in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
  touch "$VENV/.complete"
}

mkdir -p "$CACHE"
exec 8>"$CACHE/.llama-server.lock"
flock 8
build
echo "$VENV/bin/python"
