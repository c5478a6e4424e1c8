#!/bin/sh
# deps.sh: the benchmark peers (INN, public-inbox): see contrib/deps.sh --bench.
exec sh "$(dirname "$0")/../contrib/deps.sh" --bench
