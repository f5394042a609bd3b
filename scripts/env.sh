# Shared set-up for ./baton, ./run-tests and .ci/run: find a JDK 21+ and make sure redis-server
# is installed. Source it; it defines functions and changes nothing by itself.

baton_java_version() { # prints the feature version of the java binary $1, or nothing
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

# Sets JAVA_HOME to a JDK >= 21 (with javac), or prints what to install and returns 1.
baton_find_jdk() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64)
  for c in /usr/lib/jvm/*; do candidates+=("$c"); done
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for c in "${candidates[@]}"; do
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      v=$(baton_java_version "$c/bin/java")
      if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then
        export JAVA_HOME="$c"
        return 0
      fi
    fi
  done
  echo "baton: needs a JDK 21 or newer; none found. Install one, e.g.: sudo apt-get install -y openjdk-21-jdk-headless (Debian 13 / Ubuntu 24.04) or Temurin 21+ from adoptium.net, then set JAVA_HOME." >&2
  return 1
}

# Makes sure a redis-server binary exists: installs Debian's package when missing and we are root.
baton_ensure_redis_server() {
  if command -v redis-server >/dev/null 2>&1 || [ -x /usr/sbin/redis-server ] || [ -x /usr/bin/redis-server ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "baton: installing redis-server (apt-get)..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 || {
      echo "baton: could not install redis-server; run: sudo apt-get install -y redis-server" >&2
      return 1
    }
    # the package starts a system service on 6379 on some systems; Baton starts its own private servers
    return 0
  fi
  echo "baton: redis-server is not installed; run: sudo apt-get install -y redis-server (or set REDIS_URL to a Redis 7+)" >&2
  return 1
}
