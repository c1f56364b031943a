#!/usr/bin/env bash
# Renders `campaign report --html` in headless Chromium and saves a screenshot to look at.
# It builds a small campaign with `campaign demo --db`, writes the report, checks the page is
# self-contained (no http(s) URL in src/href, an inline <svg>), then screenshots it.
#
#   scripts/check-html-report.sh [screenshot.png]     (default: /tmp/campaign-report.png)
#
# Skips (exit 0 with a message) when chromium is not installed: apt-get install -y chromium
set -euo pipefail
cd "$(dirname "$0")/.."
shot="${1:-/tmp/campaign-report.png}"

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
    echo "check-html-report: skipped: no chromium found (apt-get install -y chromium)"
    exit 0
fi

swift build >/dev/null
bin="$(swift build --show-bin-path)/campaign"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin" demo --db "$work/demo.db" >/dev/null
"$bin" report --db "$work/demo.db" --html "$work/report.html" >/dev/null

if grep -Eio '(src|href)="https?:[^"]*"' "$work/report.html"; then
    echo "check-html-report: FAIL: the page fetches from the network" >&2
    exit 1
fi
grep -q '<svg' "$work/report.html" || { echo "check-html-report: FAIL: no inline <svg>" >&2; exit 1; }

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$shot" \
    --window-size=1200,1600 "file://$work/report.html" 2>/dev/null
[[ -s "$shot" ]] || { echo "check-html-report: FAIL: chromium wrote no screenshot" >&2; exit 1; }
echo "check-html-report: ok: rendered $(wc -c <"$work/report.html") bytes of HTML; screenshot: $shot"
