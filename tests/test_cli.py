"""`python -m fastact` shows something real."""

import subprocess
import sys

import fastact


def run(*args):
    return subprocess.run([sys.executable, "-m", "fastact", *args], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_info():
    out = run("info")
    assert fastact.__version__ in out and "native" in out and fastact.get_library() in out
    assert "x86-64" in out or "compiler default" in out
    assert run() == out


def test_list_and_demo():
    assert "softplus" in run("list")
    out = run("demo")
    assert "sigmoid" in out and "NumPy" in out


def test_flags():
    assert run("--cflags").strip() == f"-I{fastact.get_include()}"
    assert "-lfastact" in run("--libs")


def test_show_config(capsys):
    fastact.show_config()
    assert "native" in capsys.readouterr().out


def test_bench_quick():
    out = run("bench", "--quick", "--sizes", "1e4", "--budget", "0.002")  # the full --quick: minutes
    assert "copy (2 threads)" in out and "sigmoid" in out and "GB/s" in out


def test_plot(tmp_path):
    import pytest

    pytest.importorskip("matplotlib")
    png = tmp_path / "a.png"
    assert "wrote" in run("plot", "relu", "gelu", "-o", str(png))
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_list_and_info_name_every_function():
    listed = [line.split()[0] for line in run("list").splitlines()]
    assert listed == fastact.available()
    assert f"activations ({len(fastact.available())}):" in run("info")


def test_plot_without_matplotlib_says_what_to_install(monkeypatch, tmp_path):
    """No traceback: a one-line SystemExit naming the command and the package to install."""
    import pytest

    from fastact import __main__ as cli

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    with pytest.raises(SystemExit) as info:
        cli.main(["plot", "relu", "-o", str(tmp_path / "p.png")])
    assert str(info.value).startswith("python -m fastact plot: ") and "matplotlib" in str(info.value)
    assert not (tmp_path / "p.png").exists()
