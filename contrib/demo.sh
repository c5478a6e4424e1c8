#!/bin/sh
# demo.sh: install what is missing (to build and run confab, and slrn and tin; not what
# the test suite needs), build, import the bundled demo blog and run confabd in the
# foreground on 127.0.0.1:1119. Point a newsreader at it: see "Reading the demo" in
# README.md.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/contrib/deps.sh" --demo
sh "$top/contrib/build.sh" "$top/build"
demo="$top/demo"
mkdir -p "$demo"
cat > "$demo/confabd.conf" <<EOC
; The demo: one local blog (confab is its comment store), open for posting.
[server]
hostname = localhost
listen = 127.0.0.1:1119
secret_file = $demo/secret
[store]
path = $demo/confab.db
[source ecatworld]
type = local
group = blogs.ecatworld
domain = e-catworld.example
description = E-Cat World: Rossi Says Production in the US Has Begun (demo)
posting = open
EOC
"$top/build/src/confab" -c "$demo/confabd.conf" import --source ecatworld \
    "$top/tests/data/ecatworld.wxr"
echo "confabd: serving news://127.0.0.1:1119/blogs.ecatworld (Ctrl-C stops)" >&2
exec "$top/build/src/confabd" -c "$demo/confabd.conf" -f
