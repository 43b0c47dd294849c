"""Built networks are kept between runs, keyed by content; never stale, never in the way."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

import pytest
from conftest import loaded_modules

import lmbayes
import lmbayes.network as network_module
from lmbayes import networks
from lmbayes._cache import cache_dir


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LMBAYES_CACHE_DIR", str(folder))
    return folder


def test_a_second_load_of_the_same_file_is_not_built_again(own_cache, builds):
    first = lmbayes.load_network("breast")
    second = lmbayes.load_network("breast")
    assert builds.call_count == 1
    assert len(list(own_cache.glob("network-*.npz"))) == 1
    assert second is not first and second.identity == first.identity
    assert second.posterior({"mri": "normal"}).p_target == first.posterior({"mri": "normal"}).p_target


@pytest.mark.parametrize("name", sorted(networks.available()), ids=str)
def test_every_shipped_network_can_be_kept(own_cache, name):
    lmbayes.load_network(name)
    assert len(list(own_cache.glob("network-*.npz"))) == 1, "the built network could not be kept"


def test_options_are_part_of_the_key(own_cache, builds):
    a = lmbayes.load_network("breast", pretest=0.2)
    b = lmbayes.load_network("breast", pretest=0.3)
    c = lmbayes.load_network("breast", taps=3)
    assert builds.call_count == 3
    assert (a.posterior().p_target, b.posterior().p_target) == pytest.approx((0.2, 0.3))
    assert c.spec.n_taps == 3


def test_an_edited_file_is_read_again_even_with_the_same_size_and_time(own_cache, tmp_path, builds):
    path = tmp_path / "mine.yaml"
    text = networks.available()["breast"].read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    before = lmbayes.load_network(path).spec.parameters["mri.sensitivity"].value
    stamp = path.stat()
    written = f"{before:g}"
    old = f"sensitivity: {{value: {written},"
    assert old in text, old
    new_text = written[:-1] + str(int(written[-1]) + 1 if written[-1] != "9" else 8)  # in the range, as many characters
    new = float(new_text)
    path.write_text(text.replace(old, f"sensitivity: {{value: {new_text},", 1), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size, same time stamp
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert lmbayes.load_network(path).spec.parameters["mri.sensitivity"].value == new
    assert builds.call_count == 2


def test_the_same_content_at_another_path_keeps_its_own_path(own_cache, tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for p in (a, b):
        p.write_bytes(networks.available()["breast"].read_bytes())
    assert lmbayes.load_network(a).spec.path == str(a)
    assert lmbayes.load_network(b).spec.path == str(b)


def test_a_broken_file_raises_every_time_and_nothing_is_kept(own_cache, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nnodes: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(lmbayes.NetworkFileError):
            lmbayes.load_network(path)
    assert not list(own_cache.glob("*.npz")) if own_cache.exists() else True


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch, builds):
    # a folder that cannot be made (its parent is a file): as on a read-only home
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LMBAYES_CACHE_DIR", str(blocker / "cache"))
    assert lmbayes.load_network("breast").posterior().p_target > 0
    assert lmbayes.load_network("breast").posterior().p_target > 0
    assert builds.call_count == 2  # built each time, as without a cache


def test_a_damaged_cache_file_is_built_again(own_cache, builds):
    lmbayes.load_network("breast")
    (kept,) = own_cache.glob("network-*.npz")
    kept.write_bytes(b"not an npz")
    assert lmbayes.load_network("breast").posterior().p_target > 0
    assert builds.call_count == 2
    assert kept.read_bytes() != b"not an npz"  # and written anew


def test_an_empty_setting_turns_the_cache_off(monkeypatch, builds):
    monkeypatch.setenv("LMBAYES_CACHE_DIR", "")
    assert cache_dir() is None
    lmbayes.load_network("breast")
    lmbayes.load_network("breast")
    assert builds.call_count == 2


def test_the_default_folder_follows_the_platform_conventions(monkeypatch, tmp_path):
    monkeypatch.delenv("LMBAYES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert cache_dir() == tmp_path / "lmbayes"


def test_a_warm_cache_loads_no_yaml(own_cache, tmp_path):
    cold = loaded_modules(["taps"], tmp_path)
    warm = loaded_modules(["taps"], tmp_path)
    assert "yaml" in cold and "yaml" not in warm


@pytest.mark.parametrize("fmt, suffix", [("bif", "bif"), ("xmlbif", "xmlbif"), ("xmlbif", "bifxml")])
def test_an_imported_network_needs_no_pgmpy_even_the_first_time(own_cache, tmp_path, fmt, suffix):
    # lmbayes reads BIF and XMLBIF itself (lmbayes/_bif.py): pgmpy (3-5 s to import) and
    # networkx stay out of the command on the first run as on the next, which the cache serves
    path = tmp_path / f"tiny.{suffix}"
    from lmbayes._pgmpy import write_model

    write_model(lmbayes.load_network("breast").tables, fmt, str(path))
    args = ["posterior", "--network", str(path), "-e", "mri=normal"]
    first = loaded_modules(args, tmp_path)
    assert "pgmpy" not in first and "networkx" not in first and list(own_cache.glob("network-*.npz"))
    second = loaded_modules(args, tmp_path)
    assert "pgmpy" not in second and "lmbayes._bif" not in second  # the kept tables, not the file


def test_an_edit_replaces_the_kept_network_instead_of_adding_one(own_cache, tmp_path):
    path = tmp_path / "mine.yaml"
    text = networks.available()["breast"].read_text(encoding="utf-8")
    for title in ["First", "Second", "Third"]:
        path.write_text(text.replace("title: ", f"title: {title} ", 1), encoding="utf-8")
        assert lmbayes.load_network(path).spec.title.startswith(title)
    lmbayes.load_network("breast")
    lmbayes.load_network(path, pretest=0.2)  # other options: a value of its own
    kept = sorted(p.name for p in own_cache.glob("network-*.npz"))
    assert len(kept) == 3, kept  # mine.yaml (the third edit), mine.yaml with a pre-test, breast
    assert lmbayes.load_network(path).spec.title.startswith("Third")


def test_a_kept_network_names_the_file_as_this_load_did(own_cache, tmp_path, monkeypatch):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "net.yaml").write_bytes(networks.available()["breast"].read_bytes())
    monkeypatch.chdir(folder)
    assert lmbayes.load_network("net.yaml").spec.path == "net.yaml"
    monkeypatch.chdir(tmp_path)  # the same file, named from elsewhere: the kept build is used
    again = lmbayes.load_network("b/net.yaml")
    assert again.spec.path == "b/net.yaml" and Path(again.spec.path).read_bytes()
    # a shipped network first loaded by a relative path is still "breast" when loaded by name
    shipped = networks.available()["breast"]
    monkeypatch.chdir(shipped.parent)
    assert lmbayes.load_network(shipped.name).label == "breast"
    monkeypatch.chdir(tmp_path)
    by_name = lmbayes.load_network("breast")
    assert by_name.spec.path == str(shipped) and by_name.label == "breast"


def test_no_home_folder_means_no_cache_not_an_error(monkeypatch, builds):
    monkeypatch.delenv("LMBAYES_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LOCALAPPDATA", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache_dir() is None
    assert lmbayes.load_network("breast").posterior().p_target > 0
    assert builds.call_count == 1


def test_a_file_edited_while_it_is_built_is_not_kept_under_its_old_content(own_cache, tmp_path):
    path = tmp_path / "mine.yaml"
    text = networks.available()["breast"].read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    build = network_module._build_network

    def edited_meanwhile(*args, **kwargs):
        path.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
        return build(*args, **kwargs)

    with mock.patch.object(network_module, "_build_network", side_effect=edited_meanwhile):
        assert lmbayes.load_network(path).spec.title.startswith("Edited")
    assert not list(own_cache.glob("network-*.npz"))
    path.write_text(text, encoding="utf-8")  # back to the first content: built again, not served stale
    assert not lmbayes.load_network(path).spec.title.startswith("Edited")
