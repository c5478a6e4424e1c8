#!/bin/sh
# deps.sh: Postfix and swaks come with the project's packages (contrib/deps.sh).
exec sh "$(dirname "$0")/../../contrib/deps.sh" "$@"
