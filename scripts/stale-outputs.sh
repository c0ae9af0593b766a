# Whether a module's build output holds a file whose source is gone (a class of a deleted .java file, a deleted
# resource such as a database migration): Maven's package never removes those, so the jar would still carry them.
# Sourced by ./postoffice, which then builds with clean. postoffice-jmh is left out: JMH generates its classes.
stale_outputs() { # stale_outputs ROOT: prints the first such file and returns 0, or returns 1
  local hit
  hit=$(cd "$1" && comm -23 \
    <(find postoffice-*/target/classes -type f 2>/dev/null | grep -v '^postoffice-jmh/' \
        | sed -E 's#^([^/]+)/target/classes/(.*)\.class$#\1 java \2#; s#^([^/]+)/target/classes/(.*)$#\1 res \2#' \
        | sed -E '/^[^ ]+ java /s#\$[^/]*$##' \
        | LC_ALL=C sort -u) \
    <(find postoffice-*/src/main/java postoffice-*/src/main/resources -type f 2>/dev/null \
        | sed -E 's#^([^/]+)/src/main/java/(.*)\.java$#\1 java \2#; s#^([^/]+)/src/main/resources/(.*)$#\1 res \2#' \
        | LC_ALL=C sort -u) | head -n1)
  [[ -n $hit ]] || return 1
  local module kind path
  read -r module kind path <<<"$hit"
  echo "$module/target/classes/$path$([[ $kind == java ]] && echo .class)"
}
