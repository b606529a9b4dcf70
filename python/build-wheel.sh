#!/usr/bin/env bash
# build-wheel.sh — builds python/dist/trindle-VERSION-py3-none-PLATFORM.whl, the package with libtrindle.so.0
# bundled (build_wheel.py says how), from native-shims/target/lib (build it first: ./mvnw -B -q package -pl
# native-shims -am). Prints the wheel's path. Options are build_wheel.py's: --library PATH, --dist DIR.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/build_wheel.py" "$@"
