#!/bin/sh
# build.sh DIR [configure options]: configure and build confab in DIR (out of tree).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] || [ "${CONFAB_RECONFIGURE:-}" ]; then
	"$top/configure" -q "$@"
fi
make -j"$(nproc)" >/dev/null
