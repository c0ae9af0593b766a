#!/bin/bash
# bench/fetch_compare.sh [N] [RUNS] -- `postoffice fetch` against mpop and fetchmail: N (default 10000) mixed-size
# messages from Dovecot 2.3 on 127.0.0.1 (../shared/bench/dovecot.sh), each tool in keep mode with fresh state,
# same machine, same run, best of RUNS (default 3). Needs root (Dovecot; apt-get installs mpop and fetchmail if
# missing). Builds the application first. Figures and what limits them: docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests package -pl postoffice-app -am
POSTOFFICE_NO_BUILD=1 exec python3 it/fetch_dovecot_test.py --bench "${1:-10000}" --runs "${2:-3}"
