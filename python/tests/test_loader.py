"""Where ``import trindle`` finds libtrindle, in order, and what it says when it finds it nowhere."""

import shutil
import tempfile
import unittest
from pathlib import Path

from support import PYTHON, library, run_python

WHICH = "import trindle._native as n; print(n.lib._name)"


def copy_package(directory):
    """The package alone, away from the checkout (as pip installs it from the sources)."""
    shutil.copytree(PYTHON / "trindle", directory / "trindle", ignore=shutil.ignore_patterns("__pycache__"))
    return directory


class LoaderTest(unittest.TestCase):
    def setUp(self):
        self.library = library()
        self.tmp_path = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp_path)

    def test_the_checkout_loads_the_build_beside_it(self):
        library, tmp_path = self.library, self.tmp_path
        result = run_python(WHICH, PYTHON, tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{library}\n"

    def test_a_named_library_is_the_only_one_tried(self):
        library, tmp_path = self.library, self.tmp_path
        missing = tmp_path / "no" / "libtrindle.so.0"
        result = run_python(WHICH, PYTHON, tmp_path, TRINDLE_LIBRARY=str(missing))
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert last == (
            f"trindle._native.LibraryNotFound: trindle: cannot load libtrindle.so from {missing} ($TRINDLE_LIBRARY): "
            f"{missing}: cannot open shared object file: No such file or directory. "
            "Set TRINDLE_LIBRARY to the path of libtrindle.so, or unset it to use the build's"
        )

        result = run_python(WHICH, PYTHON, tmp_path, TRINDLE_LIBRARY=str(library))
        assert result.stdout == f"{library}\n", result.stderr

    def test_the_bundled_copy_comes_before_the_system(self):
        library, tmp_path = self.library, self.tmp_path
        package = copy_package(tmp_path / "site")
        (package / "trindle" / "_lib").mkdir()
        bundled = package / "trindle" / "_lib" / "libtrindle.so.0"
        shutil.copyfile(library, bundled)
        result = run_python(WHICH, package, tmp_path, LD_LIBRARY_PATH=str(library.parent))
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{bundled}\n"

    def test_without_a_bundled_copy_the_system_path_is_searched(self):
        library, tmp_path = self.library, self.tmp_path
        package = copy_package(tmp_path / "site")
        result = run_python(WHICH, package, tmp_path, LD_LIBRARY_PATH=str(library.parent))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "libtrindle.so.0\n"

    def test_found_nowhere_every_place_tried_is_named(self):
        tmp_path = self.tmp_path
        package = copy_package(tmp_path / "site")
        result = run_python(WHICH, package, tmp_path)
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        bundled = package / "trindle" / "_lib" / "libtrindle.so.0"
        assert last.startswith(
            "trindle._native.LibraryNotFound: trindle: cannot load libtrindle.so; tried "
            f"{bundled} (the copy bundled with the package): {bundled}: cannot open shared object file: "
            "No such file or directory; "
            "libtrindle.so.0 (the system's library path): libtrindle.so.0: cannot open shared object file"
        ), last
        assert "Install the trindle wheel, which bundles the library (python/build-wheel.sh)" in last

    def test_in_a_sandbox_the_directory_to_list_is_named(self):
        tmp_path = self.tmp_path
        package = copy_package(tmp_path / "site")
        (package / "trindle" / "_lib").mkdir()
        bundled = package / "trindle" / "_lib" / "libtrindle.so.0"
        bundled.write_bytes(b"not a library\n" * 100)
        result = run_python(WHICH, package, tmp_path, TRINDLE_SANDBOX="strict")
        assert result.returncode == 1
        last = result.stderr.strip().splitlines()[-1]
        assert f"{bundled} (the copy bundled with the package): {bundled}: invalid ELF header" in last, last
        assert (
            "This worker runs in a sandbox (profile strict), where it may read only its read-only paths: "
            f"list {bundled.parent} in its 'sandbox: read-only' in the pipeline config"
        ) in last
