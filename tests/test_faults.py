"""Fault injection (issue 11): a Suricata that hangs, crashes, says nothing or prints garbage, broken
pcaps of each kind, and outputs the machine refuses. Each gives one located or named message and
the right exit code: never a hang, a traceback or a silent pass. Time-outs here are 1-2 s."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import EXIT_ENVIRONMENT, EXIT_INVALID, EXIT_OK, main
from harness.suricata.ruleset import check_loaded_count, compile_rules
from harness.suricata.engine import BatchEngine, EngineFaults
from harness.rules.errors import EngineError, RuleErrors
from harness.rules.loader import load_project
from harness.cases.pcapcheck import PcapProblem, inspect
from harness.rules.project import Project
from harness.cases.runner import run_suite
from tests.tmp_project import GOOD_RULE, good_rule_text, write_lock, write_rule

FAKE = Path(__file__).resolve().parent / "fake_suricata.py"
THIRD_CASE = ("    expect: {alerts: 0}", "    expect: {alerts: 0}\n  - name: admin again\n"
              "    traffic: {generator: mqtt.connect, args: {username: admin, client_id: again}}\n"
              "    expect: {alerts: 1}\n  - name: guest\n"
              "    traffic: {generator: mqtt.connect, args: {username: guest}}\n    expect: {alerts: 0}")


@pytest.fixture
def fake_suricata(tmp_path, monkeypatch):
    """Point the harness at the fake; returns a function selecting its mode."""
    state = tmp_path / "fake-state"
    state.mkdir()
    wrapper = tmp_path / "suricata"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKE} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("SURICATA", str(wrapper))
    monkeypatch.setenv("FAKE_SURICATA_STATE", str(state))
    monkeypatch.setenv("IOTDETECT_STARTUP_TIMEOUT", "2")
    monkeypatch.setenv("IOTDETECT_CASE_TIMEOUT", "1.5")

    def use(mode: str) -> Path:
        monkeypatch.setenv("FAKE_SURICATA_MODE", mode)
        return state
    return use


def _pids_dead(state: Path) -> bool:
    for line in (state / "pids").read_text().split():
        try:
            os.kill(int(line), 0)
        except ProcessLookupError:
            continue
        return False
    return True


def _generated(root: Path) -> None:
    assert main(["--root", str(root), "pcaps"]) == EXIT_OK


@pytest.mark.parametrize("engine", ["process", "batch"])
@pytest.mark.parametrize("mode, says", [
    ("hang", "within 2 s; killed"),
    ("segv", "killed by signal SIGSEGV"),
    ("silent", {"process": "did not report how many rules", "batch": "exited with status 0 at start-up"}),
    ("garbage", {"process": "did not report how many rules", "batch": "exited with status 0 at start-up"}),
])
def test_broken_suricata_exits_3_with_its_words(tmp_project, fake_suricata, capsys, engine, mode, says):
    _generated(tmp_project)
    state = fake_suricata(mode)
    code = main(["--root", str(tmp_project), "test", "--engine", engine])
    err = capsys.readouterr().err
    assert code == EXIT_ENVIRONMENT, err
    says = says[engine] if isinstance(says, dict) else says
    assert says in err and "Traceback" not in err
    assert _pids_dead(state)          # a hung Suricata was killed by its PID, not left behind
    if mode == "segv":
        assert "about to crash" in err   # its last log lines are shown


@pytest.mark.parametrize("fault", ["hang", "crash"])
def test_batch_server_fault_is_one_case_and_the_rest_run_on_a_fresh_server(tmp_project, fake_suricata, tmp_path, fault):
    write_rule(tmp_project, GOOD_RULE, good_rule_text(THIRD_CASE))
    write_lock(tmp_project)
    _generated(tmp_project)
    state = fake_suricata(f"serve-{fault}:2")
    ruleset = load_project(Project(tmp_project))
    engine = BatchEngine(workers=1, case_timeout=1.0, startup_timeout=5.0)
    with pytest.raises(EngineFaults) as caught:
        run_suite(ruleset, engine, keep=tmp_path / "keep")
    [(key, error)] = caught.value.faults
    assert key == "mqtt-admin-login/anonymous-login"   # the second case
    assert ("more than 1 s on one case" if fault == "hang" else "SIGSEGV") in str(error)
    cases = tmp_path / "keep" / "cases" / "mqtt-admin-login"
    assert sorted(p.name for p in cases.iterdir() if (p / "eve.json").exists()) == ["admin-again", "admin-login", "guest"]
    assert len((state / "pids").read_text().split()) == 2 and _pids_dead(state)


def test_debug_shows_the_traceback(tmp_project, fake_suricata, capsys):
    _generated(tmp_project)
    fake_suricata("segv")
    assert main(["--root", str(tmp_project), "--debug", "test", "--engine", "process"]) == EXIT_ENVIRONMENT
    assert "Traceback" in capsys.readouterr().err


# --- pcaps -----------------------------------------------------------------------------------------

def _pcap(linktype: int = 1, packets: list[bytes] = (), truncate: int = 0) -> bytes:
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for packet in packets:
        data += struct.pack("<IIII", 1, 0, len(packet), len(packet)) + packet
    return data[:len(data) - truncate] if truncate else data


ETHERNET = bytes(12) + b"\x08\x00" + bytes(20)
BROKEN_PCAPS = {
    "empty file": (b"", "0 bytes long"),
    "bad magic": (b"GIF89a" + bytes(40), "no pcap/pcapng magic"),
    "header only": (_pcap(), "holds no packet"),
    "cut short": (_pcap(packets=[ETHERNET], truncate=5), "cut short inside packet 1"),
    "unsupported link type": (_pcap(linktype=147, packets=[ETHERNET]), "link type 147"),
    "pcapng without packets": (struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28), "holds no packet"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_PCAPS))
def test_broken_pcap_is_a_located_error_before_suricata_runs(tmp_project, capsys, kind, monkeypatch):
    data, says = BROKEN_PCAPS[kind]
    _generated(tmp_project)
    (tmp_project / "pcaps" / "mqtt-admin-login" / "anonymous-login.pcap").write_bytes(data)
    monkeypatch.setenv("SURICATA", "/nonexistent/suricata")   # proves nothing was run
    for verb in (["test"], ["validate", "--no-siem"]):
        assert main(["--root", str(tmp_project), *verb]) == EXIT_INVALID
        err = capsys.readouterr().err
        assert f"rules/iot/mqtt-admin-login.yaml:26: [traffic] pcaps/mqtt-admin-login/anonymous-login.pcap" in err
        assert says in err and "Traceback" not in err


def test_good_pcaps_pass_the_check(tmp_project):
    _generated(tmp_project)
    summary = inspect(tmp_project / "pcaps" / "mqtt-admin-login" / "admin-login.pcap")
    assert summary.packets > 3 and summary.linktypes == (1,)
    with pytest.raises(PcapProblem, match="not a regular file"):
        inspect(tmp_project / "pcaps")


# --- rule counts -----------------------------------------------------------------------------------

def test_a_rule_missing_from_suricatas_count_is_an_error(tmp_project, tmp_path):
    rules = tmp_path / "iotdetect.rules"
    rules.write_text(compile_rules(load_project(Project(tmp_project))).text, encoding="utf-8")
    check_loaded_count("1 rules successfully loaded, 0 rules failed", rules)
    with pytest.raises(RuleErrors, match="loaded 0 rules but 1 were written"):
        check_loaded_count("0 rules successfully loaded, 0 rules failed", rules)
    with pytest.raises(EngineError, match="did not report how many rules"):
        check_loaded_count("", rules)
    with rules.open("a", encoding="utf-8") as handle:   # a stage that appends rules (inventory) counts them
        handle.write('alert ip any any -> any any (msg:"appended"; sid:9199999; rev:1;)\n')
    check_loaded_count("2 rules successfully loaded, 0 rules failed", rules)


# --- outputs the machine refuses -------------------------------------------------------------------

def test_read_only_out_names_the_path(tmp_project, capsys):
    # /sys is read-only even for root (the tests run as root in CI containers, where chmod is no obstacle).
    assert main(["--root", str(tmp_project), "build", "--out", "/sys/iotdetect-out"]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "/sys/iotdetect-out" in err and "Traceback" not in err


def test_full_disk_for_junit_names_the_path(tmp_project, capsys):
    _generated(tmp_project)
    assert main(["--root", str(tmp_project), "test", "--junit", "/dev/full"]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "cannot write /dev/full: No space left on device" in err


def test_file_size_limit_during_build_names_the_output(tmp_project, tmp_path):
    """A full disk mid-write (EFBIG under RLIMIT_FSIZE, which Python reports without a file name)."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "harness.cli", "--root", str(tmp_project), "build", "--out", str(out)],
                            capture_output=True, text=True, preexec_fn=limit, timeout=120,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == EXIT_ENVIRONMENT, result.stderr
    assert str(out) in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


# --- generators --------------------------------------------------------------------------------------

def test_changed_generator_inputs_fail_validate_and_test_until_pcaps_are_rewritten(tmp_project, capsys):
    root = str(tmp_project)
    _generated(tmp_project)
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_OK
    # A case's arguments change (as a generator's code or the site plan can): the old pcap is stale.
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("args: {username: admin}}", "args: {username: admin, password: x}}")))
    write_lock(tmp_project)
    for verb in (["validate", "--no-siem"], ["test"]):
        assert main(["--root", root, *verb]) == EXIT_INVALID
        assert "pcaps/mqtt-admin-login/admin-login.pcap was made from other inputs" in capsys.readouterr().err
    # A generator that cannot run now fails at `pcaps`, located, and writes nothing.
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("args: {username: admin}}", "args: {no_such_argument: 1}}")))
    write_lock(tmp_project)
    assert main(["--root", root, "pcaps"]) == EXIT_INVALID
    assert "rules/iot/mqtt-admin-login.yaml:23: [traffic] generator mqtt.connect failed" in capsys.readouterr().err
    write_rule(tmp_project, GOOD_RULE, good_rule_text(("args: {username: admin}}", "args: {username: admin, password: x}}")))
    write_lock(tmp_project)
    assert main(["--root", root, "pcaps"]) == EXIT_OK
    assert main(["--root", root, "validate", "--no-siem"]) == EXIT_OK


def test_generator_source_is_part_of_the_inputs(tmp_path):
    import generators
    from harness.cases.pcapinputs import package_digest
    copy = tmp_path / "generators"
    shutil.copytree(Path(generators.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = package_digest(copy)
    assert before == package_digest()
    with (copy / "mqtt.py").open("a") as source:
        source.write("\n# an edit\n")
    assert package_digest(copy) != before


def test_hand_edited_pcap_fails_validate(tmp_project, capsys):
    _generated(tmp_project)
    pcap = tmp_project / "pcaps" / "mqtt-admin-login" / "admin-login.pcap"
    pcap.write_bytes(pcap.read_bytes() + _pcap(packets=[ETHERNET])[24:])   # still a valid pcap, one packet more
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == EXIT_INVALID
    assert "is not the pcap its generator wrote" in capsys.readouterr().err


def test_validate_fails_when_the_kusto_checker_or_suricata_cannot_run(tmp_project, monkeypatch, capsys):
    # No node on PATH: "0 KQL queries checked, ok" would be a silent pass.
    bare = tmp_project.parent / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    assert main(["--root", str(tmp_project), "validate"]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "node is not installed" in err and "--no-siem" in err
    # The same holds for Suricata's load test; each check that cannot run is named and can be skipped.
    assert main(["--root", str(tmp_project), "validate", "--no-siem"]) == EXIT_ENVIRONMENT
    assert "suricata is not installed" in capsys.readouterr().err
    assert main(["--root", str(tmp_project), "validate", "--no-siem", "--no-suricata"]) == EXIT_OK


@pytest.mark.parametrize("engine", ["process", "container"])
def test_process_and_container_engines_report_a_crash_the_same_way(tmp_project, fake_suricata, tmp_path, engine):
    """docker/podman exit 128+n when Suricata dies of signal n; the message must not differ."""
    from harness.suricata.engine import ContainerEngine, ProcessEngine
    from harness.cases.runner import run_suite
    _generated(tmp_project)
    fake_suricata("segv")
    runtime = tmp_path / "fake-docker"   # drops `run ... IMAGE`, runs the fake Suricata, exits as docker does
    runtime.write_text(f"#!/bin/sh\nwhile [ \"$1\" != docker.io/jasonish/suricata:7.0.10 ]; do shift; done; shift\n"
                       f"{sys.executable} {FAKE} \"$@\"; code=$?; [ $code -gt 128 ] && exit $code\n"
                       f"[ $code -lt 0 ] && exit $((128 - code)); exit $code\n")
    runtime.chmod(0o755)
    made = ContainerEngine(runtime=str(runtime)) if engine == "container" else ProcessEngine()
    with pytest.raises(EngineError) as caught:
        if engine == "process":
            made.run_jobs(_workspace(tmp_project, tmp_path), _jobs(tmp_project, tmp_path), None)
        else:
            made.run(_workspace(tmp_project, tmp_path), _jobs(tmp_project, tmp_path))
    assert "admin-login: suricata was killed by signal SIGSEGV on admin-login.pcap" in str(caught.value)


def _workspace(root, tmp_path):
    from harness.suricata.workspace import prepare_workspace
    return prepare_workspace(load_project(Project(root)), tmp_path / "ws")


def _jobs(root, tmp_path):
    from harness.suricata.engine import Job
    return [Job(f"mqtt-admin-login/{name}", root / "pcaps" / "mqtt-admin-login" / f"{name}.pcap", tmp_path / "out" / name)
            for name in ("admin-login", "anonymous-login")]


def test_a_stray_value_error_is_an_internal_error_not_an_invalid_rule(tmp_project, monkeypatch, capsys):
    import harness.cli as cli

    def broken(args):
        raise ValueError("a bug somewhere")
    monkeypatch.setattr(cli, "cmd_lock", broken)   # parser() binds the verb when main() runs
    assert cli.main(["--root", str(tmp_project), "lock"]) == EXIT_ENVIRONMENT
    err = capsys.readouterr().err
    assert "internal error: ValueError: a bug somewhere" in err and "Traceback" not in err
