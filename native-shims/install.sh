#!/usr/bin/env bash
# install.sh — installs what the native-shims build made (native-shims/target) under a prefix:
#
#   PREFIX/include/trindle.h, trindle-layout.h, trindle-checkpoint-layout.h   the public headers
#   PREFIX/lib/libtrindle.so.VERSION, libtrindle.so.0, libtrindle.so          the shared library and its links
#   PREFIX/lib/libtrindle.a                                                   the static library
#   PREFIX/lib/pkgconfig/trindle.pc                                           for pkg-config (prefix = its own place)
#   PREFIX/libexec/trindle/trindle-launch, trindle-sandbox, trindle-bridge    the programs the supervisor runs
#
# The tree can be moved or unpacked anywhere afterwards: trindle.pc finds the rest from where it lies. Build first
# (./mvnw -B -q package -pl native-shims -am). Files are copied with their modes, links as links; nothing outside
# PREFIX is touched, and a file already there is replaced.
#
# usage: native-shims/install.sh PREFIX     exit status: 0 installed, 100 usage error, 111 not built or a copy failed
set -euo pipefail

usage="usage: native-shims/install.sh PREFIX"
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "$usage" >&2
  exit 100
fi
case "$1" in
  --help | -h)
    echo "$usage"
    sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  -*)
    echo "install.sh: unknown option $1" >&2
    echo "$usage" >&2
    exit 100
    ;;
esac

target="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/target"
for built in "$target/lib/libtrindle.so.0" "$target/lib/pkgconfig/trindle.pc" "$target/include/trindle.h" \
  "$target/bin/trindle-launch" "$target/bin/trindle-sandbox" "$target/bin/trindle-bridge"; do
  if [ ! -e "$built" ]; then
    echo "install.sh: $built is missing: build it first with ./mvnw -B -q package -pl native-shims -am" >&2
    exit 111
  fi
done

prefix=$1
install_files() {
  mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/libexec/trindle"
  cp -f "$target"/include/*.h "$prefix/include/"
  # -P keeps libtrindle.so and libtrindle.so.0 the links they are.
  cp -fP "$target"/lib/libtrindle.so* "$target/lib/libtrindle.a" "$prefix/lib/"
  cp -f "$target/lib/pkgconfig/trindle.pc" "$prefix/lib/pkgconfig/"
  cp -f "$target/bin/trindle-launch" "$target/bin/trindle-sandbox" "$target/bin/trindle-bridge" \
    "$prefix/libexec/trindle/"
}
if ! install_files; then
  echo "install.sh: copying into $prefix failed (see above): check that it is writable" >&2
  exit 111
fi
echo "installed libtrindle $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/trindle.pc") into $prefix"
