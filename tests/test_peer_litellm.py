"""The shipped LiteLLM profiles hold against the real LiteLLM proxy.

`test_peer_run_is_green` runs suites/peers/litellm/run.py: the pinned LiteLLM
in front of the reference gateway, the suite once per profile. Marked `peer`
(CI runs the script as a step of its own; `-m "not peer"` deselects it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from respcheck.reference.catalog import MODELS

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT / "suites" / "peers" / "litellm"
CANNOT_INSTALL = 3  # run.py's exit code when pip cannot install LiteLLM
RUN_BUDGET = 900  # seconds: a first install on a cold pip cache included


def _groups() -> dict[str, dict]:
    config = yaml.safe_load((PEER / "config.template.yaml").read_text(encoding="utf-8"))
    return {entry["model_name"]: entry["litellm_params"] for entry in config["model_list"]}


def test_config_has_a_native_a_bridged_and_a_stateful_group_per_reference_model():
    groups = _groups()
    for model_id in MODELS:
        native, bridged = groups.get(model_id), groups.get(f"bridge-{model_id}")
        assert native == {"model": f"openai/{model_id}", "api_base": "{{UPSTREAM}}", "api_key": "{{UPSTREAM_KEY}}"}, \
            model_id
        assert groups.get(f"state-{model_id}") == {"model": f"openai/{model_id}", "api_base": "{{STATE_UPSTREAM}}",
                                                   "api_key": "{{UPSTREAM_KEY}}"}, model_id
        assert bridged is not None and bridged.get("use_chat_completions_api") is True, model_id
        assert bridged["model"] == f"openai/{model_id}", model_id


def test_config_never_retries():
    config = yaml.safe_load((PEER / "config.template.yaml").read_text(encoding="utf-8"))
    assert config["litellm_settings"]["num_retries"] == 0
    assert config["router_settings"]["num_retries"] == 0


def test_profiles_name_the_config_groups():
    groups = _groups()
    for name, prefix in (("litellm", ""), ("litellm-bridge", "bridge-"), ("litellm-stateful", "state-")):
        profile = yaml.safe_load((ROOT / "suites" / "profiles" / f"{name}.yaml").read_text(encoding="utf-8"))
        for role, model in profile["models"].items():
            assert model in groups and model.startswith(prefix), (name, role, model)


@pytest.mark.peer
def test_peer_run_is_green(tmp_path):
    report = tmp_path / "peer"
    done = subprocess.run([sys.executable, str(PEER / "run.py"), "--report-dir", str(report)], cwd=ROOT,
                          capture_output=True, text=True, timeout=RUN_BUDGET)
    if done.returncode == CANNOT_INSTALL:
        pytest.skip(f"LiteLLM cannot be installed here: {done.stderr.strip()[-500:]}")
    assert done.returncode == 0, f"run.py exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    for profile in ("litellm", "litellm-bridge", "litellm-stateful"):
        counts = json.loads((report / profile / "results.json").read_text(encoding="utf-8"))["counts"]
        ran = sum(counts.get(k, 0) for k in ("passed", "failed", "xfailed", "xpassed", "flaky", "error"))
        assert counts.get("failed", 0) == 0 and counts.get("error", 0) == 0 and counts.get("xpassed", 0) == 0, counts
        assert ran >= 60, f"profile {profile}: only {ran} cases ran ({counts})"
