"""`extends:`: parents merge under a profile (maps deeply, lists replaced,
null removes), each resolved value knows the file:line it came from, a
missing parent or a cycle is an error at the `extends:` line, and
`respcheck profile show` prints the resolved profile with those sources."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from respcheck.cli import main
from respcheck.model.catalogue import BUILTIN_CASES, build
from respcheck.model.profile import ProfileError, load_profile
from respcheck.model.profile_check import check_profile

PARENT = """\
name: parent
description: the parent
models: {text: p-text, reasoning: p-reason}
capabilities:
  responses.text: supported
  responses.streaming: supported
  responses.tools: {absent: no tools}
accept_error_types: [server_error, overloaded_error]
settings:
  request_id_header: x-request-id
  done_sentinel: required
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(path: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    return info.value


def test_child_merges_deeply_replaces_lists_and_removes_with_null(tmp_path):
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", """\
        name: child
        extends: parent.yaml
        models: {reasoning: c-reason}
        capabilities:
          responses.streaming: null
          responses.tools: supported
        accept_error_types: [server_error]
        settings:
          request_id_header: null
        """)
    profile = load_profile(str(child))
    assert profile.name == "child" and profile.description == "the parent"
    assert profile.models == {"text": "p-text", "reasoning": "c-reason"}
    assert profile.capabilities == {"responses.text": "supported", "responses.tools": "supported"}
    assert profile.accept_error_types == ("server_error",)
    assert profile.settings["request_id_header"] is None  # removed: back to the default
    assert profile.settings["done_sentinel"] == "required"  # inherited
    assert "extends" not in profile.data
    assert profile.where(("models", "text")).endswith("parent.yaml:3")
    assert profile.where(("models", "reasoning")).endswith("child.yaml:3")
    assert profile.where(("capabilities", "responses.tools")).endswith("child.yaml:6")
    assert profile.where(("accept_error_types", 0)).endswith("child.yaml:7")
    assert profile.where(("settings", "done_sentinel")).endswith("parent.yaml:11")
    assert ("capabilities", "responses.streaming") not in profile.sources


def test_later_parents_win_over_earlier_ones_and_the_child_over_all(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nmodels: {text: a, vision: a}\ncapabilities: {responses.text: supported}\n")
    write(tmp_path, "b.yaml", "name: b\nmodels: {vision: b, reasoning: b}\ncapabilities: {}\n")
    child = write(tmp_path, "c.yaml", "name: c\nextends: [a.yaml, b.yaml]\nmodels: {reasoning: c}\n")
    profile = load_profile(str(child))
    assert profile.models == {"text": "a", "vision": "b", "reasoning": "c"}
    assert profile.where(("models", "vision")).endswith("b.yaml:2")
    assert profile.where(("capabilities", "responses.text")).endswith("a.yaml:3")


def test_parent_by_name_and_by_path_relative_to_the_extending_file(tmp_path):
    write(tmp_path / "base", "mine.yaml", "name: mine\nextends: reference\nmodels: {text: my-model}\n")
    child = write(tmp_path / "team", "child.yaml", "name: child\nextends: ../base/mine.yaml\n")
    profile = load_profile(str(child))
    assert profile.models["text"] == "my-model" and profile.models["vision"] == "ref-vision-1"
    assert profile.where(("models", "vision")).endswith("suites/profiles/reference.yaml:11")
    assert profile.where(("models", "text")).endswith("mine.yaml:3")


def test_a_diamond_is_not_a_cycle(tmp_path):
    write(tmp_path, "root.yaml", PARENT)
    write(tmp_path, "left.yaml", "name: left\nextends: root.yaml\n")
    write(tmp_path, "right.yaml", "name: right\nextends: root.yaml\n")
    child = write(tmp_path, "child.yaml", "name: child\nextends: [left.yaml, right.yaml]\n")
    assert load_profile(str(child)).models["text"] == "p-text"


def test_missing_parent_by_name_is_an_error_at_the_extends_line_with_a_suggestion(tmp_path):
    child = write(tmp_path, "child.yaml", "name: child\ndescription: x\nextends: [reference, refrence]\n")
    error = error_of(child)
    assert (error.line, error.message) == (3, "extends: no profile named 'refrence' (did you mean 'reference'?)")
    assert str(error).endswith("child.yaml:3: extends: no profile named 'refrence' (did you mean 'reference'?)")


def test_missing_parent_file_is_an_error_naming_file_and_line(tmp_path):
    child = write(tmp_path, "child.yaml", "name: child\nextends:\n  - ./gone.yaml\n")
    error = error_of(child)
    assert error.file == child and error.line == 3
    assert error.message.startswith("extends: profile file './gone.yaml' does not exist")


def test_a_cycle_is_an_error_at_the_line_that_closes_it(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "name: b\ndescription: b\nextends: a.yaml\n")
    error = error_of(tmp_path / "a.yaml")
    assert (error.file, error.line) == (b, 3)
    assert "extends: 'a.yaml' makes a cycle (" in error.message and error.message.count("a.yaml") == 3


def test_a_profile_extending_itself_is_a_cycle(tmp_path):
    me = write(tmp_path, "me.yaml", "name: me\nextends: me.yaml\n")
    assert error_of(me).line == 2 and "cycle" in error_of(me).message


def test_a_child_names_itself(tmp_path):
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nmodels: {text: x}\n")
    assert error_of(child).message == "a profile that extends another names itself (name: ...)"


def test_a_bad_value_is_reported_at_the_file_that_wrote_it(tmp_path):
    parent = write(tmp_path, "parent.yaml", PARENT.replace("done_sentinel: required", "done_sentinel: always"))
    child = write(tmp_path, "child.yaml", "name: child\nextends: parent.yaml\nsettings: {event_line: sometimes}\n")
    error = error_of(child)
    assert error.file == child and error.line == 3 and "event_line" in error.message  # the child's, first
    write(tmp_path, "child.yaml", "name: child\nextends: parent.yaml\n")
    error = error_of(child)
    assert (error.file, error.line) == (parent, 11)
    assert "$.settings.done_sentinel" in error.message


def test_the_resolved_profile_needs_models_and_capabilities(tmp_path):
    write(tmp_path, "half.yaml", "name: half\nextends: other.yaml\nmodels: {text: x}\n")
    write(tmp_path, "other.yaml", "name: other\nextends: half.yaml\n")
    assert "cycle" in error_of(tmp_path / "half.yaml").message
    write(tmp_path, "other.yaml", "name: other\nmodels: {text: y}\ncapabilities: {}\n")
    assert load_profile(str(tmp_path / "half.yaml")).models == {"text": "x"}
    lone = write(tmp_path, "lone.yaml", "name: lone\nmodels: {text: x}\n")
    assert "'capabilities' is a required property" in error_of(lone).message


def test_extends_must_name_profiles(tmp_path):
    child = write(tmp_path, "child.yaml", "name: child\nextends: {a: b}\n")
    error = error_of(child)
    assert (error.line, error.message) == (2, "extends: give a profile name or path, or a list of them")


def test_an_inherited_unknown_capability_is_reported_at_the_parent(tmp_path):
    parent = write(tmp_path, "parent.yaml", PARENT.replace("responses.text: supported", "responses.textt: supported"))
    child = write(tmp_path, "child.yaml", "name: child\nextends: parent.yaml\n")
    (problem,) = check_profile(load_profile(str(child)), build([BUILTIN_CASES]))
    assert (problem.file, problem.line) == (parent, 5)
    assert "capability 'responses.textt' is required by no case (did you mean 'responses.text'?)" in str(problem)


def test_profile_show_prints_the_resolved_profile_with_sources(tmp_path, capsys):
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", "name: child\nextends: parent.yaml\nmodels: {reasoning: c}\n"
                                          "capabilities: {responses.streaming: null}\n")
    assert main(["profile", "show", str(child)]) == 0
    out = capsys.readouterr().out
    assert yaml.safe_load(out) == load_profile(str(child)).data  # the comments are comments: it is the profile
    lines = {line.split(":")[0].strip(): line for line in out.splitlines() if not line.startswith("#")}
    assert lines["text"].endswith("parent.yaml:3") and lines["reasoning"].endswith("child.yaml:3")
    assert "responses.streaming" not in out
    assert all("  # " in line for line in out.splitlines() if not line.startswith("#"))


def test_profile_show_of_a_shipped_profile_by_name_round_trips(capsys):
    assert main(["profile", "show", "openai"]) == 0
    out = capsys.readouterr().out
    assert yaml.safe_load(out) == load_profile("openai").data
    assert "suites/profiles/openai.yaml:" in out


def test_profile_show_of_a_broken_profile_says_where_and_exits_2(tmp_path, capsys):
    child = write(tmp_path, "child.yaml", "name: child\nextends: nothere\n")
    assert main(["profile", "show", str(child)]) == 2
    err = capsys.readouterr().err
    assert "child.yaml:2: extends: no profile named 'nothere'" in err and "Traceback" not in err


def test_the_readme_examples_load_and_name_only_known_things(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing a profile", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    assert len(blocks) == 2 and blocks[0].startswith("name: my-gateway\nextends: openai")
    path = write(tmp_path, "my-gateway.yaml", blocks[0] + blocks[1])
    profile = load_profile(str(path))
    assert check_profile(profile, build([BUILTIN_CASES])) == []
    assert "responses.background" not in profile.capabilities and profile.known_deviations["stream.event_line"]
    assert profile.where(("capabilities", "responses.text")).endswith("suites/profiles/openai.yaml:" +
                                                                       str(profile.line_of(("capabilities", "responses.text"))))
