#!/bin/sh
# Build the Debian package from this tree with Debian's own tools:
#   sh packaging/build-deb.sh [OUTDIR]      (scripts/dev deb runs it)
# The sources are copied to a scratch directory, packaging/debian becomes
# debian/ there, and dpkg-buildpackage leaves the .deb in OUTDIR
# (default build-deb/).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

mkdir "$scratch/logcatcher"
(cd "$top" && tar -cf - --exclude='./build*' --exclude=./.git --exclude='*.deb' .) |
	tar -xf - -C "$scratch/logcatcher"
cp -r "$top/packaging/debian" "$scratch/logcatcher/debian"
(cd "$scratch/logcatcher" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; exit 1; }
for f in "$scratch"/*.deb; do
	mv "$f" "$out/"
	echo "$out/${f##*/}"
done
