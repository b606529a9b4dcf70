"""What the package's tests share: the checkout's paths, the build's library, and a way to import trindle in a
fresh interpreter. The tests are unittest's, so that the build runs them with nothing but python3
(native-shims' PythonPackageTest: ``python3 -m unittest discover -s python/tests``); pytest runs them too."""

import os
import subprocess
import sys
from pathlib import Path

PYTHON = Path(__file__).resolve().parent.parent
ROOT = PYTHON.parent
INCLUDE = ROOT / "native-shims" / "src" / "main" / "include"
LIBRARY = ROOT / "native-shims" / "target" / "lib" / "libtrindle.so.0"

# The package of this checkout, whichever directory the tests run from.
sys.path.insert(0, str(PYTHON))


def library():
    """The library the build made; the tests need it (./mvnw -B -q package -pl native-shims -am)."""
    if not LIBRARY.is_file():
        raise AssertionError(f"{LIBRARY} is missing: build it first with ./mvnw -B -q package -pl native-shims -am")
    return LIBRARY


def load_trindle():
    """The package of this checkout, loading the build's library."""
    library()
    import trindle

    return trindle


def run_python(code, path, cwd, **environment):
    """Runs ``code`` in a new interpreter with ``path`` as its PYTHONPATH, in ``cwd``, with the library-finding
    variables of this process removed and ``environment`` added; returns the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRINDLE_LIBRARY", "LD_LIBRARY_PATH", "TRINDLE_SANDBOX")}
    env.update({"PYTHONPATH": str(path), "PYTHONDONTWRITEBYTECODE": "1", **environment})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
