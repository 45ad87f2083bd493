#!/usr/bin/env bash
# Regenerates docs/images/workbench.png: the workbench's browser test (Tests/Browser)
# takes it at the moment a typo's diagnostic is shown at its line. Needs what the test
# needs (chromium, chromium-driver, python3-selenium from Debian) and, for the Chinese
# texts in the policies to show as glyphs rather than boxes, a CJK font
# (`apt-get install fonts-noto-cjk`).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product rescind
mkdir -p docs/images
/usr/bin/python3 Tests/Browser/workbench_browser_test.py --binary .build/debug/rescind --screenshot docs/images/workbench.png
echo "wrote docs/images/workbench.png"
