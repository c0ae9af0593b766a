#!/usr/bin/env bash
# Runs the JMH microbenchmarks of the hot paths (wire encoding, command parsing, Maildir listing,
# password verification). Extra arguments go to JMH, e.g.:  bench/jmh.sh WireEncoding -f 1 -wi 2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./mvnw -B -q -DskipTests package -pl postoffice-jmh -am >/dev/null
source scripts/find-java.sh
java_bin="$(find_java)" || { echo "jmh.sh: needs a JDK 21 or newer" >&2; exit 1; }
mkdir -p bench/results
exec "$java_bin" -cp "postoffice-jmh/target/classes:postoffice-jmh/target/lib/*" org.openjdk.jmh.Main \
  -rf json -rff bench/results/jmh.json "$@"
