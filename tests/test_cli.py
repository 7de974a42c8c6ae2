"""The `respcheck` command: no BrokenPipe traceback when the reader goes
away, one line for a bad or busy port (and no banner then), a banner with
the key, and `respcheck lint` failing CI on any broken case file or profile."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import httpx
import pytest

from respcheck.cli import main


def respcheck(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "respcheck", *args], text=True, **kwargs)


@pytest.mark.parametrize("command", [["faults"], ["faults", "--json"], ["rules"]])
def test_a_closed_pipe_is_not_a_traceback(command):
    # The reader is gone before the first write (as `| head -3` is, once it has its lines).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = respcheck(*command, stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert done.stderr == ""


def test_out_of_range_port_is_a_usage_line(capsys):
    assert main(["serve", "--port", "99999"]) == 2
    err = capsys.readouterr().err
    assert "argument --port: port 99999 is out of range (0-65535)" in err
    assert "Traceback" not in err


def test_busy_port_says_so_and_prints_no_banner():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = respcheck("serve", "--port", str(port), capture_output=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"respcheck: cannot serve on 127.0.0.1:{port}: the port is in use\n"


def test_banner_names_the_real_port_and_the_key_and_the_gateway_answers():
    proc = subprocess.Popen([sys.executable, "-m", "respcheck", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    try:
        banner = proc.stdout.readline()
        assert banner.startswith("respcheck reference gateway at http://127.0.0.1:")
        assert "(key rc-local-key; faults: none)" in banner
        base = banner.split(" at ", 1)[1].split(" ", 1)[0]
        answer = httpx.get(f"{base}/models", headers={"Authorization": "Bearer rc-local-key"}, timeout=30,
                           trust_env=False)
        assert answer.status_code == 200
    finally:
        proc.terminate()
        proc.wait(30)


def test_banner_does_not_repeat_keys_given_on_the_command_line():
    proc = subprocess.Popen([sys.executable, "-m", "respcheck", "serve", "--port", "0", "--api-key", "sk-mine-123"],
                            stdout=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(30)
    assert "the 1 key(s) given with --api-key" in banner and "sk-mine" not in banner


# -- respcheck lint ---------------------------------------------------------------------------------

def write(root, relpath: str, text: str) -> None:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


GOOD = """
id: demo.ok
title: ok
requires: [responses.text]
request: {body: {model: m, input: x}}
expect: {status: 200}
"""


def test_lint_of_the_shipped_files_is_clean(repo):
    done = respcheck("lint", capture_output=True, cwd=repo, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
    assert "no problems" in done.stderr


def test_lint_prints_one_line_per_broken_file_and_exits_1(tmp_path, monkeypatch, capsys):
    write(tmp_path, "cases/a/good.yaml", GOOD)
    write(tmp_path, "cases/a/regex.yaml", GOOD.replace("demo.ok", "demo.re").replace(
        "expect: {status: 200}", "expect: {output_text: {matches: '(x'}}"))
    write(tmp_path, "cases/a/yaml.yaml", "id: demo.y\ntitle: [unclosed\n")
    write(tmp_path, "cases/b/dup.yaml", GOOD)
    write(tmp_path, "suites/profiles/typo.yaml", """
        name: typo
        models: {text: m}
        capabilities:
          responses.txt: supported
        """)
    write(tmp_path, "suites/profiles/key.yaml", "name: key\nmodels: {}\ncapabilities: {}\nsetings: {}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines == [
        "cases/a/regex.yaml:5 (case demo.re): expect.output_text: `matches` regex '(x' does not compile: "
        "missing ), unterminated subpattern at position 0",
        "cases/a/yaml.yaml:3: invalid YAML: did not find expected ',' or ']'",
        "cases/b/dup.yaml:1 (case demo.ok): case id 'demo.ok' is already used at cases/a/good.yaml:1",
        "suites/profiles/key.yaml:4: does not follow profile.schema.json: $.setings: unknown key 'setings' "
        "(did you mean 'settings'?)",
        "suites/profiles/typo.yaml:4: capability 'responses.txt' is required by no case "
        "(did you mean 'responses.text'?)",
    ]
    assert err == "respcheck lint: 5 problem(s) in 4 case file(s), 2 profile(s)\n"


def test_lint_takes_paths_and_names_a_missing_one(tmp_path, capsys):
    write(tmp_path, "cases/a/good.yaml", GOOD)
    assert main(["lint", str(tmp_path / "cases")]) == 0
    assert main(["lint", str(tmp_path / "nothing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_lint_survives_an_alias_bomb(tmp_path, capsys):
    bomb = "id: demo.b\ntitle: b\n" + "".join(
        f"{n}: &{n} [{', '.join([p] * 9)}]\n"
        for n, p in zip("abcdefghi", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"]))
    write(tmp_path, "cases/a/bomb.yaml", bomb)
    assert main(["lint", str(tmp_path / "cases")]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.endswith("bomb.yaml:4: YAML aliases expand this file to more than 100,000 values (an alias bomb?); "
                         "write the values out or use fewer aliases")


def test_serve_can_list_more_models_for_scale_runs():
    proc = subprocess.Popen([sys.executable, "-m", "respcheck", "serve", "--port", "0", "--models", "50"],
                            stdout=subprocess.PIPE, text=True)
    try:
        base = proc.stdout.readline().split(" at ", 1)[1].split(" ", 1)[0]
        headers = {"Authorization": "Bearer rc-local-key"}
        directory = httpx.get(f"{base}/directory/models", headers=headers, timeout=30, trust_env=False).json()
        ids = list(directory["models"])  # keyed by model id
        assert len(ids) == 50 and "ref-scale-001" in ids and "ref-text-1" in ids
        answer = httpx.post(f"{base}/responses", headers=headers, timeout=30, trust_env=False,
                            json={"model": "ref-scale-044", "input": "Reply with exactly: SCALE"})
        assert answer.status_code == 200 and "SCALE" in answer.text
    finally:
        proc.terminate()
        proc.wait(30)
