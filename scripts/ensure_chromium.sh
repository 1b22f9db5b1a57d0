#!/usr/bin/env bash
# Make sure Debian's chromium is at /usr/bin/chromium for the browser test (tests/test_ui_lineage.py).
# Playwright drives this system browser through its executable path; `playwright install`, which
# downloads a browser build of its own, is never needed. Installs with apt-get when run as root,
# otherwise says what to run and exits non-zero.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_chromium: $CHROMIUM is missing and installing it needs root." >&2
    echo "  Run: sudo bash scripts/ensure_chromium.sh" >&2
    echo "  (or: sudo apt-get update && sudo apt-get install -y chromium)" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: $CHROMIUM is missing and this system has no apt-get;" \
        "install Chromium so that $CHROMIUM exists." >&2
    exit 1
fi

echo "ensure_chromium: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure_chromium: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "ensure_chromium: $("$CHROMIUM" --version 2>/dev/null | head -n 1)" >&2
