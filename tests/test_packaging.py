"""The installed package ships every file the product reads: templates, static files,
translations, metadata, pack files and migrations (setup.cfg's namespace-package discovery
and its ``[options.package_data]`` globs), so a wheel works as well as the source tree."""

from __future__ import annotations

import configparser
import fnmatch
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[1]
# Files of the source tree that only the developers' tools read.
DEVELOPMENT_ONLY = {"admin_ui/babel.cfg", "packs/ruff.toml"}


def _options() -> tuple[list[str], list[str], list[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")

    def listed(section: str, key: str) -> list[str]:
        text = config.get(section, key, fallback="")
        return [item.strip() for line in text.splitlines() for item in line.split(",") if item]

    assert config.get("options", "packages").strip() == "find_namespace:"
    return (
        listed("options.packages.find", "include"),
        listed("options.packages.find", "exclude"),
        listed("options.package_data", "*"),
    )


def _source_files(top: Path):
    for path in sorted(top.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_dir() or any(p.startswith(".") or p == "__pycache__" for p in relative.parts):
            continue
        yield relative


def test_every_data_file_of_the_source_tree_is_in_the_package():
    include, exclude, globs = _options()
    packages = set(find_namespace_packages(str(ROOT), include=include, exclude=exclude))
    assert {"admin_ui.templates.app", "admin_ui.static.vendor.leaflet.images"} <= packages
    assert not any("__pycache__" in name or name.startswith("tests") for name in packages)
    left_out = []
    for top in ("plinth", "packs", "admin_ui", "migrations"):
        for relative in _source_files(ROOT / top):
            if relative.suffix == ".py" or relative.as_posix() in DEVELOPMENT_ONLY:
                continue
            package = ".".join(relative.parent.parts)
            if package not in packages or not any(
                fnmatch.fnmatch(relative.name, glob) for glob in globs
            ):
                left_out.append(relative.as_posix())
    assert left_out == [], "add their folders or kinds to setup.cfg's package data"
