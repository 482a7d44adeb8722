#!/usr/bin/env bash
# Executable wrapper for launcher.mjs: runTests() spawns this file directly.
exec "${TLSPROBE_NODE24:-node}" "$(dirname "$0")/launcher.mjs" "$@"
