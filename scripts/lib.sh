# Shared by the scripts: locate JDK 25 and Maven, and set quiet defaults. Source it; do not run it.
# shellcheck shell=bash

weft_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Prints the home of a JDK 25, or fails with a clear message.
find_jdk25() {
  local c
  for c in "${WEFT_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /opt/java/*25* /opt/*jdk*25*; do
    [[ -n "$c" && -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    if "$c/bin/java" -XshowSettings:properties -version 2>&1 | grep -q 'java.specification.version = 25'; then
      echo "$c"
      return 0
    fi
  done
  echo "error: no JDK 25 found (looked at \$WEFT_JAVA_HOME, \$JAVA_HOME and /usr/lib/jvm/*25*)." >&2
  echo "       Install one (e.g. Temurin 25) or set WEFT_JAVA_HOME to it." >&2
  return 1
}

setup_java() {
  JAVA_HOME=$(find_jdk25) || exit 1
  export JAVA_HOME
  export PATH="$JAVA_HOME/bin:$PATH"
  command -v mvn >/dev/null || { echo "error: Maven (mvn) is not on the PATH" >&2; exit 1; }
  # Maven's own Guava calls sun.misc.Unsafe; keep JDK 25 from warning about it on every run.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}

# Runs Maven in batch mode, showing progress lines but not download noise.
mvn_run() {
  mvn -B -ntp "$@"
}
