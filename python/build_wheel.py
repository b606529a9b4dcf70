"""Builds the trindle wheel with libtrindle bundled: python/dist/trindle-VERSION-py3-none-PLATFORM.whl.

    python3 python/build_wheel.py [--library PATH] [--dist DIR]

The wheel holds the package (python/trindle), its py.typed, and the library as trindle/_lib/libtrindle.so.0, which
the package loads before looking anywhere else but $TRINDLE_LIBRARY; so ``pip install trindle-*.whl`` needs nothing
more. It is tagged py3-none-PLATFORM (linux_x86_64 here): pure Python, but with a library for one platform.

Written with the standard library alone (a wheel is a zip with its metadata, PEP 427), so it builds offline with no
build backend; the name, version and description are read from pyproject.toml. The files are stored in a fixed
order with a fixed time, so the same inputs give the same bytes.
"""

import argparse
import base64
import hashlib
import re
import sys
import sysconfig
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SONAME = "libtrindle.so.0"
DEFAULT_LIBRARY = HERE.parent / "native-shims" / "target" / "lib" / SONAME
TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def project():
    """The [project] table's name, version, description and requires-python from pyproject.toml."""
    text = (HERE / "pyproject.toml").read_text()
    section = re.search(r"^\[project\]\n(.*?)(?=^\[)", text, re.DOTALL | re.MULTILINE).group(1)
    found = dict(re.findall(r'^([\w-]+) = "([^"]*)"$', section, re.MULTILINE))
    classifiers = re.findall(r'^  "([^"]+)",$', section, re.MULTILINE)
    return found, classifiers


def platform_tag():
    """This platform's wheel tag: linux-x86_64 becomes linux_x86_64."""
    return re.sub(r"[-.]", "_", sysconfig.get_platform())


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(library, dist):
    meta, classifiers = project()
    name, version = meta["name"], meta["version"]
    data = library.read_bytes()  # a link (libtrindle.so.0 → libtrindle.so.0.1.0) is followed: the file is stored
    if data[:4] != b"\x7fELF":
        raise SystemExit(f"build_wheel: {library} is not an ELF shared library: build native-shims first")
    tag = f"py3-none-{platform_tag()}"
    info = f"{name}-{version}.dist-info"
    files = []
    for source in sorted((HERE / "trindle").glob("*")):
        if source.suffix == ".py" or source.name == "py.typed":
            files.append((f"trindle/{source.name}", source.read_bytes(), 0o644))
    files.append((f"trindle/_lib/{SONAME}", data, 0o755))
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {meta['description']}",
        f"Requires-Python: {meta['requires-python']}",
        *(f"Classifier: {classifier}" for classifier in classifiers),
        "Description-Content-Type: text/markdown",
        "",
        (HERE / "README.md").read_text(),
    ]
    wheel = ["Wheel-Version: 1.0", "Generator: trindle build_wheel.py", "Root-Is-Purelib: false", f"Tag: {tag}", ""]
    files.append((f"{info}/METADATA", "\n".join(metadata).encode(), 0o644))
    files.append((f"{info}/WHEEL", "\n".join(wheel).encode(), 0o644))
    files.append((f"{info}/top_level.txt", b"trindle\n", 0o644))
    record = [record_line(path, content) for path, content, _ in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))

    dist.mkdir(parents=True, exist_ok=True)
    target = dist / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content, mode in files:
            entry = zipfile.ZipInfo(path, TIMESTAMP)
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return target


def main(argv):
    parser = argparse.ArgumentParser(description="Builds the trindle wheel with libtrindle bundled.")
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help=f"default: {DEFAULT_LIBRARY}")
    parser.add_argument("--dist", type=Path, default=HERE / "dist", help="where the wheel goes (default: dist)")
    arguments = parser.parse_args(argv)
    if not arguments.library.is_file():
        print(
            f"build_wheel: {arguments.library} is missing: build it with ./mvnw -B -q package -pl native-shims -am",
            file=sys.stderr,
        )
        return 111
    print(build(arguments.library, arguments.dist))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
