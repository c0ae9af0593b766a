# Finds the newest JDK of at least $min_major (default 21) in JAVA_HOME, PATH and the standard JVM
# directories, without asking the user to set anything. Sourced by ./postoffice and bench scripts.
min_major="${min_major:-21}"

java_major() { # prints the major version of the java binary $1, or nothing
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)"
  v="${v#1.}"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
}

find_java() {
  local best="" best_major=0 candidate major
  local candidates=()
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for d in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk*; do
    [[ -x "$d/bin/java" ]] && candidates+=("$d/bin/java")
  done
  for candidate in "${candidates[@]}"; do
    major="$(java_major "$candidate" || true)"
    if [[ -n "$major" && "$major" -ge "$min_major" && "$major" -gt "$best_major" ]]; then
      best="$candidate"; best_major="$major"
    fi
  done
  [[ -n "$best" ]] && echo "$best"
}

