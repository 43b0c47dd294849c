"""Issue 27, code executed from the cache: the cache holds no pickle, is read only from a
folder of the user's own, and anything in it that is not what lmbayes wrote is a miss."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from click.testing import CliRunner

import lmbayes
import lmbayes.network as network_module
from lmbayes import _cache, networks
from lmbayes.cli.main import cli

BREAST = networks.available()["breast"]
OPTIONS = (None, None, None)  # taps, setting, pre-test: load_network's key for a plain load


class Payload:
    """A pickle that, if ever loaded, leaves a file behind (the attack the issue names)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)
    monkeypatch.setenv("LMBAYES_CACHE_DIR", str(folder))
    return folder


def kept_path(folder: Path) -> Path:
    return folder / _cache.file_name(BREAST, BREAST.read_bytes(), OPTIONS)


def expected() -> float:
    """P(LM | normal MRI) from the file, built without the cache (and without load_network)."""
    from lmbayes._loader import load_spec

    return network_module.Network(load_spec(BREAST)).posterior({"mri": "normal"}).p_target


def test_the_cache_holds_numpy_arrays_and_json_not_pickles(own_cache):
    lmbayes.load_network("breast")
    (kept,) = own_cache.iterdir()
    assert kept.suffix == ".npz"
    with np.load(kept, allow_pickle=False) as npz:  # would raise on any object array
        assert not any(npz[name].dtype.hasobject for name in npz.files)
        meta = json.loads(npz["meta"].tobytes().decode("ascii"))
    assert meta["spec"]["name"] == "breast"
    assert kept.read_bytes()[:2] == b"PK"  # a zip of .npy files, no pickle protocol header
    assert oct(kept.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("form", ["raw pickle", "object array in an npz"])
def test_a_planted_pickle_is_never_loaded(own_cache, tmp_path, builds, form):
    marker = tmp_path / "marker"
    kept = kept_path(own_cache)
    if form == "raw pickle":
        kept.write_bytes(pickle.dumps(Payload(marker)))
    else:
        array = np.empty(1, dtype=object)
        array[0] = Payload(marker)
        with open(kept, "wb") as f:
            np.savez(f, meta=array)
    os.chmod(kept, 0o600)
    assert lmbayes.load_network("breast").posterior({"mri": "normal"}).p_target == expected()
    assert not marker.exists(), "code in the cache ran"
    assert builds.call_count == 1  # a miss: built from the file


@pytest.mark.parametrize(
    "meta",
    [
        b"not json",
        json.dumps([1, 2, 3]).encode(),
        json.dumps({"spec": {"name": 3}, "setting": None, "pretest": None}).encode(),
        json.dumps({"spec": "breast", "setting": None, "pretest": None}).encode(),
        "\u00e9".encode("utf-8"),
    ],
    ids=["not JSON", "a list", "a wrong type", "a string spec", "not ASCII"],
)
def test_an_npz_of_the_wrong_content_is_a_miss_not_a_traceback(own_cache, builds, meta):
    kept = kept_path(own_cache)
    with open(kept, "wb") as f:
        np.savez(f, meta=np.frombuffer(meta, dtype=np.uint8))
    os.chmod(kept, 0o600)
    result = CliRunner().invoke(cli, ["posterior", "-e", "mri=normal"])
    assert result.exit_code == 0, result.output
    assert builds.call_count == 1


def test_a_kept_value_with_a_field_of_the_wrong_type_is_a_miss(own_cache, builds):
    lmbayes.load_network("breast")
    kept = kept_path(own_cache)
    with np.load(kept, allow_pickle=False) as npz:
        meta = json.loads(npz["meta"].tobytes())
    meta["spec"]["nodes"][0]["states"] = "absent"  # a string where a list belongs
    with open(kept, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    assert lmbayes.load_network("breast").posterior({"mri": "normal"}).p_target == expected()
    assert builds.call_count == 2


@pytest.mark.parametrize(
    "tables",
    [lambda c: c[:-1], lambda c: np.concatenate([c, c[:1]]), lambda c: c.astype(np.float32), lambda c: c.reshape(1, -1), None],
    ids=["one number short", "one number more", "single precision", "two-dimensional", "missing"],
)
def test_kept_tables_of_the_wrong_size_or_type_are_a_miss(own_cache, builds, tables):
    # every table is kept in one array (one .npz member to read); one that does not hold
    # exactly the numbers the nodes' states make, in double precision, is built again
    lmbayes.load_network("breast")
    kept = kept_path(own_cache)
    with np.load(kept, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    if tables is None:
        del arrays["cpts"]
    else:
        arrays["cpts"] = tables(arrays["cpts"])
    with open(kept, "wb") as f:
        np.savez(f, **arrays)
    assert lmbayes.load_network("breast").posterior({"mri": "normal"}).p_target == expected()
    assert builds.call_count == 2


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722], ids=["world-writable", "group-writable", "writable by others"])
def test_a_folder_others_may_write_to_is_not_used(tmp_path, monkeypatch, builds, caplog, mode):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, mode)
    monkeypatch.setenv("LMBAYES_CACHE_DIR", str(folder))
    _cache._refused.cache_clear()
    for _ in range(2):
        assert lmbayes.load_network("breast").posterior({"mri": "normal"}).p_target == expected()
    assert builds.call_count == 2  # as without a cache
    assert list(folder.iterdir()) == []  # nothing written there either
    notes = [r.getMessage() for r in caplog.records if r.name == "lmbayes._cache"]
    assert len(notes) == 1 and "other users may write to it" in notes[0] and str(folder) in notes[0]


def test_a_folder_of_another_user_is_not_used(own_cache, monkeypatch, builds):
    lmbayes.load_network("breast")  # kept while the folder is ours
    monkeypatch.setattr(_cache, "_user", lambda: own_cache.stat().st_uid + 1)
    _cache._refused.cache_clear()
    lmbayes.load_network("breast")
    assert builds.call_count == 2


def test_the_cli_says_in_one_line_why_the_cache_is_not_used(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    env = {**os.environ, "LMBAYES_CACHE_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-m", "lmbayes", "posterior", "-e", "mri=normal"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and "not using the cache folder" in done.stderr, done.stderr


@pytest.mark.parametrize("what", ["writable by others", "a symbolic link", "a folder", "another user's"])
def test_a_kept_file_that_is_not_the_users_own_regular_file_is_a_miss(own_cache, tmp_path, monkeypatch, builds, what):
    lmbayes.load_network("breast")
    kept = kept_path(own_cache)
    if what == "writable by others":
        os.chmod(kept, 0o666)
    elif what == "a symbolic link":
        elsewhere = tmp_path / "elsewhere.npz"
        kept.rename(elsewhere)
        kept.symlink_to(elsewhere)
    elif what == "a folder":
        kept.unlink()
        kept.mkdir()
    else:
        real = os.stat
        monkeypatch.setattr(_cache, "_user", lambda: os.getuid())
        monkeypatch.setattr(_cache.os, "fstat", lambda fd: os.stat_result((*real(f"/proc/self/fd/{fd}")[:4], 12345, *real(f"/proc/self/fd/{fd}")[5:])) if os.path.exists("/proc/self/fd") else real(fd))
    assert lmbayes.load_network("breast").posterior({"mri": "normal"}).p_target == expected()
    assert builds.call_count == 2


def test_an_unreadable_cache_file_is_a_miss(own_cache, builds):
    lmbayes.load_network("breast")
    kept = kept_path(own_cache)
    with mock.patch.object(_cache.os, "open", side_effect=PermissionError(13, "Permission denied")):
        assert lmbayes.load_network("breast").posterior({"mri": "normal"}).p_target == expected()
    assert builds.call_count == 2
    assert kept.exists()


def test_a_cache_folder_that_is_a_file_is_no_error(tmp_path, monkeypatch, builds):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LMBAYES_CACHE_DIR", str(blocker))
    assert lmbayes.load_network("breast").posterior().p_target > 0
    assert blocker.read_text() == "not a folder"


def test_a_new_cache_folder_is_the_users_alone(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "cache"
    monkeypatch.setenv("LMBAYES_CACHE_DIR", str(folder))
    lmbayes.load_network("breast")
    assert folder.stat().st_mode & 0o077 == 0
    assert len(list(folder.glob("*.npz"))) == 1


def test_an_imported_network_is_kept_as_arrays(own_cache, tmp_path):
    from lmbayes._pgmpy import write_model

    bif = tmp_path / "tiny.bif"
    write_model(lmbayes.load_network("breast").tables, "bif", str(bif))
    first = lmbayes.load_network(bif)
    second = lmbayes.load_network(bif)
    assert second.imported and second.spec.node_ids == first.spec.node_ids
    for v in first.tables.variables:
        np.testing.assert_array_equal(second.tables.cpts[v], first.tables.cpts[v])
    assert second.posterior({"mri": "normal"}).posterior["lm"] == first.posterior({"mri": "normal"}).posterior["lm"]


@pytest.mark.parametrize("options", [{"pretest": 0.2}, {}, {"taps": 3}, {"setting": "any_breast_cancer"}],
                         ids=["pretest", "plain", "taps", "setting"])
def test_a_kept_network_gives_the_numbers_of_a_fresh_build(own_cache, builds, options):
    """The kept tables, and the context made again from them (techniques, draws), give the
    numbers of a network built from the file, to the last digit."""
    from lmbayes._loader import load_spec
    from lmbayes.technique import STANDARD
    from lmbayes.uncertainty import draw_parameters, posterior_intervals

    spec = load_spec(BREAST)
    fresh = network_module.Network(spec.with_taps(options["taps"]) if "taps" in options else spec,
                                   **{k: v for k, v in options.items() if k != "taps"})
    lmbayes.load_network("breast", **options)
    kept = lmbayes.load_network("breast", **options)
    assert builds.call_count == 1  # the second came from the cache
    assert kept.spec == fresh.spec
    findings = kept.observe({"mri": "normal", "cranial_nerve_palsy": "present"}, csf="neg@5ml+45min")
    assert kept.posterior(findings).posterior == fresh.posterior(findings).posterior
    for technique in (None, STANDARD):
        a, b = kept.taps(findings, next_technique=technique), fresh.taps(findings, next_technique=technique)
        assert a == b
    draws = draw_parameters(spec, 50, 3)
    assert posterior_intervals(kept, findings, draws=draws) == posterior_intervals(fresh, findings, draws=draws)
