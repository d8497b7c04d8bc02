"""The built wheel carries templates/, boards/ and firmware/, and an installed mcunets finds them."""

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, cwd=tmp_path_factory.mktemp("cwd"))
    (path,) = out.glob("mcunets-*.whl")
    return path, result.stdout + result.stderr


def test_wheel_builds_without_setuptools_warnings(wheel):
    _, log = wheel
    # Folders of templates/ or firmware/ missing from `packages`, or a deprecated `license` table.
    assert "absent from the `packages` configuration" not in log
    assert "SetuptoolsDeprecationWarning" not in log and "project.license" not in log


def test_wheel_contains_shipped_data(wheel):
    names = set(zipfile.ZipFile(wheel[0]).namelist())
    for folder in ("templates", "boards", "firmware"):
        shipped = {n for n in names if n.startswith(f"mcunets/_{folder}/")}
        expected = {f"mcunets/_{folder}/{p.relative_to(ROOT / folder).as_posix()}"
                    for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        assert expected and expected <= shipped, sorted(expected - shipped)[:5]


@pytest.mark.slow
def test_installed_wheel_reads_its_boards(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    # Without PYTHONPATH: a source tree on it (its mcunets.egg-info) would make pip skip the install.
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel[0])], check=True, env=clean)
    # Dependencies come from this environment's site-packages; mcunets itself only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    code = ("import json, mcunets, mcunets.resources as r; from mcunets import boards;"
            "print(json.dumps({'file': mcunets.__file__, 'boards': str(r.resource_dir('boards')),"
            "'names': sorted(b.name for b in boards.load_boards())}))")
    result = subprocess.run([py, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": deps, "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["file"].startswith(str(env_dir))
    assert info["boards"].startswith(str(env_dir)) and info["boards"].endswith("_boards")
    assert {"esp32", "stm32f746", "qemu-m4", "host"} <= set(info["names"])
    cli = subprocess.run([env_dir / "bin" / "mcunets", "boards"], capture_output=True, text=True,
                         env={"PYTHONPATH": deps, "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert "esp32" in cli.stdout and "qemu-m4" in cli.stdout
