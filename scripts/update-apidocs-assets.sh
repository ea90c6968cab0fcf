#!/usr/bin/env bash
# Refreshes the Swagger UI and ReDoc files vendored into the binary under
# internal/apidocs/assets/vendor/, from the npm registry.
#
# Usage: scripts/update-apidocs-assets.sh [SWAGGER_UI_VERSION [REDOC_VERSION]]
#
# The defaults are the versions vendored now; pass newer ones to upgrade,
# then run `go test ./internal/apidocs/...` and look at /docs and /redoc.
# Only the files the pages load, and the packages' licence files, are
# copied. Needs npm, node and tar.
#
# ReDoc stays on 2.x on purpose: the 3.x standalone bundle reports usage to
# otel.cloud.redocly.com by default and loads its logo from cdn.redoc.ly,
# while these pages must load nothing from other hosts.
set -euo pipefail

swagger_version="${1:-5.35.0}"
redoc_version="${2:-2.5.4}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/internal/apidocs/assets/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# pack NAME VERSION: downloads the package tarball into $tmp, unpacks it
# into $tmp/NAME and prints its integrity hash.
pack() {
	local name="$1" version="$2" json
	json="$(cd "$tmp" && npm pack --json --silent "$name@$version")"
	mkdir -p "$tmp/$name"
	tar -xzf "$tmp/$name-$version.tgz" -C "$tmp/$name" --strip-components=1
	node -e 'process.stdout.write(JSON.parse(process.argv[1])[0].integrity)' "$json"
}

swagger_integrity="$(pack swagger-ui-dist "$swagger_version")"
redoc_integrity="$(pack redoc "$redoc_version")"

rm -rf "$dest"
mkdir -p "$dest/swagger-ui" "$dest/redoc"

src="$tmp/swagger-ui-dist"
cp "$src/swagger-ui-bundle.js" "$src/swagger-ui-bundle.js.LICENSE.txt" \
	"$src/swagger-ui.css" "$src/favicon-16x16.png" "$src/favicon-32x32.png" \
	"$src/LICENSE" "$src/NOTICE" "$dest/swagger-ui/"

src="$tmp/redoc/bundles"
cp "$src/redoc.standalone.js" "$src/redoc.standalone.js.LICENSE.txt" \
	"$tmp/redoc/LICENSE" "$dest/redoc/"

sizes="$(cd "$dest" && find . -type f ! -name README.md -printf '%P\t%s\n' | sort)"

cat >"$dest/README.md" <<EOF
# Vendored documentation renderers

Files copied unchanged from npm packages, embedded in the Outcrop binary
and served under /docs/assets/vendor/ by internal/apidocs. Do not edit them
by hand: run
\`scripts/update-apidocs-assets.sh [SWAGGER_UI_VERSION [REDOC_VERSION]]\`,
which rewrites this directory and this file.

| package | version | licence | npm integrity |
| --- | --- | --- | --- |
| swagger-ui-dist | $swagger_version | Apache-2.0 (swagger-ui/LICENSE, NOTICE) | $swagger_integrity |
| redoc | $redoc_version | MIT (redoc/LICENSE) | $redoc_integrity |

The *.LICENSE.txt files list the licences of the libraries bundled inside
each script.

Sizes in bytes:

\`\`\`
$sizes
\`\`\`
EOF

echo "vendored swagger-ui-dist $swagger_version and redoc $redoc_version into $dest"
