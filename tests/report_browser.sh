#!/usr/bin/env bash
# Renders capsim's report.html in headless Chromium and checks it as a reader's browser sees it:
# the page loads, every chart of charts/ is in the DOM as an inline <svg>, and the browser logs
# no console message at all (no script errors, nothing blocked by the page's
# Content-Security-Policy, which forbids loading anything).
#
#   tests/report_browser.sh                 # simulate quickstart and min-nodes, report, check
#   tests/report_browser.sh OUTDIR...       # check the reports of finished runs (writes them)
#   tests/report_browser.sh --examples      # also copy the two reports, their charts and a
#                                           # screenshot to output/examples/<scenario>/
#   CAPSIM_BIN=target/checked/capsim tests/report_browser.sh   # with a binary already built
#
# Installs Debian's chromium when it is missing (root or sudo, as on CI and developer machines);
# where it cannot, says SKIPPED and fails if CI is set.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

examples=false
dirs=()
for a in "$@"; do
    case "$a" in
        --examples) examples=true ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) dirs+=("$(realpath "$a")") ;;
    esac
done

if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
    if command -v apt-get >/dev/null 2>&1; then
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium; } >/dev/null 2>&1 || true
    fi
fi
if ! command -v chromium >/dev/null 2>&1; then
    # Said plainly, never passed silently: under CI (CI set) the check must run, so it fails.
    echo "SKIPPED: chromium is not installed and could not be installed (needs Debian's apt-get" \
         "as root): the report was NOT checked in a browser"
    if [ -n "${CI:-}" ]; then exit 1; fi
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# CAPSIM_BIN: a binary already built (CI passes the test profile's, sparing a fat-LTO build).
if [ -n "${CAPSIM_BIN:-}" ]; then
    bin="$CAPSIM_BIN"
else
    echo "== building capsim"
    cargo build --release --quiet
    bin="${CARGO_TARGET_DIR:-target}/release/capsim"
fi

if [ ${#dirs[@]} -eq 0 ]; then
    for s in quickstart min-nodes; do
        echo "== simulating scenarios/$s.toml"
        "$bin" run "scenarios/$s.toml" --out "$work/$s" --quiet
        dirs+=("$work/$s")
    done
fi

echo "== writing reports"
if "$bin" report --help >/dev/null 2>&1; then
    for d in "${dirs[@]}"; do "$bin" report "$d"; done
else
    # A binary without the subcommand: the library writes them through the test helper.
    CAPSIM_REPORT_DIRS="$(IFS=:; echo "${dirs[*]}")" \
        cargo test --profile checked --quiet --test it -- --ignored --exact \
            report::write_reports_named_by_env \
        >"$work/helper.log" 2>&1 || { cat "$work/helper.log"; exit 1; }
fi

chrome() { # a fresh profile each time; never waits more than three minutes
    timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$work")" --enable-logging=stderr --v=0 \
        --hide-scrollbars "$@"
}

passed=0
failed=0
check() { # name, command...
    local name="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
    fi
}

for d in "${dirs[@]}"; do
    name=$(basename "$d")
    html="$d/report.html"
    dom="$work/$name.dom.html"
    shot="$work/$name.png"
    chrome --dump-dom "file://$html" >"$dom" 2>"$work/$name.dom.log" || true
    chrome --screenshot="$shot" --window-size=1280,4000 "file://$html" \
        >/dev/null 2>"$work/$name.shot.log" || true

    check "$name: the page loads" grep -q '<section id="headline">' "$dom"
    check "$name: the page is complete" grep -q '</footer>' "$dom"
    n_files=$(find "$d/charts" -maxdepth 1 -name '*.svg' 2>/dev/null | wc -l)
    n_dom=$(grep -o '<svg ' "$dom" | wc -l)
    check "$name: every chart is in the DOM ($n_files files, $n_dom <svg>)" \
        test "$n_files" -gt 0 -a "$n_files" -eq "$n_dom"
    for f in "$d"/charts/*.svg; do
        [ -e "$f" ] || continue
        title=$(sed -n 's:^<title>\(.*\)</title>$:\1:p' "$f" | head -1)
        check "$name: $(basename "$f") is shown (\"$title\")" grep -qF "<title>$title</title>" "$dom"
    done
    if grep -hE ':CONSOLE|Uncaught' "$work/$name.dom.log" "$work/$name.shot.log" >"$work/$name.console"; then
        cat "$work/$name.console"
    fi
    check "$name: no console messages" test ! -s "$work/$name.console"
    check "$name: a screenshot" test -s "$shot"

    if $examples; then
        ex="output/examples/$name"
        rm -rf "$ex"
        mkdir -p "$ex"
        cp -r "$d/report.html" "$d/report.md" "$d/charts" "$ex/"
        cp "$shot" "$ex/report.png"
        echo "     example in $ex/"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
