#!/usr/bin/env bash
# Browser end-to-end suite (e2e/): Debian's Chromium driven by playwright-core against
# `mutualis serve --demo`, with axe-core for accessibility. Run from anywhere; exits non-zero
# on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Debian's Chromium (a new machine does not have it); never a browser downloaded by npm.
if [ ! -x /usr/bin/chromium ]; then
  step "installing Debian's Chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null | head -n 1 || true

step "npm ci (e2e/)"
npm ci --prefix e2e --no-audit --no-fund --loglevel=error

step "cargo build -p mutualis"
cargo build -p mutualis
# The target folder cargo really uses (CARGO_TARGET_DIR, a .cargo/config, or ./target).
target_dir="$(cargo metadata --no-deps --format-version 1 \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
export MUTUALIS_BIN="$target_dir/debug/mutualis"
if [ ! -x "$MUTUALIS_BIN" ]; then
  echo "e2e: binary not found at $MUTUALIS_BIN after cargo build" >&2
  exit 1
fi

step "browser tests (node --test, e2e/*.test.mjs) against $MUTUALIS_BIN"
cd e2e
node --test --test-concurrency=1 --test-reporter=spec *.test.mjs
