#!/usr/bin/env bash
# Refreshes the vendored front-end files in koongo/static/vendor/ from the npm registry (no CDN at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=${BOOTSTRAP:-5.3.9}
HTMX=${HTMX:-2.0.11}
CHARTJS=${CHARTJS:-4.6.1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" "chart.js@$CHARTJS" >/dev/null)
dest=koongo/static/vendor
mkdir -p "$dest"
for pkg in "$tmp"/*.tgz; do mkdir -p "$tmp/x" && tar -xzf "$pkg" -C "$tmp/x" && mv "$tmp/x/package" "$tmp/$(basename "$pkg" .tgz)" && rm -rf "$tmp/x"; done
cp "$tmp/bootstrap-$BOOTSTRAP/dist/css/bootstrap.min.css" "$dest/bootstrap.min.css"
cp "$tmp/bootstrap-$BOOTSTRAP/dist/js/bootstrap.bundle.min.js" "$dest/bootstrap.bundle.min.js"
cp "$tmp/htmx.org-$HTMX/dist/htmx.min.js" "$dest/htmx.min.js"
cp "$tmp/chart.js-$CHARTJS/dist/chart.umd.min.js" "$dest/chart.umd.min.js" 2>/dev/null || cp "$tmp/chart.js-$CHARTJS/dist/chart.umd.js" "$dest/chart.umd.min.js"
sed -i -E "s@/[/*][#@] sourceMappingURL=[^ *]*( \*/)?@@" "$dest"/*.js "$dest"/*.css
printf 'bootstrap %s\nhtmx.org %s\nchart.js %s\n' "$BOOTSTRAP" "$HTMX" "$CHARTJS" > "$dest/VERSIONS"
echo "vendored into $dest:"; ls -la "$dest"
