"""check_all(reuse=True) compares committed pcaps with the digest of an earlier render of the same
traffic key, and renders what it has not seen."""
from __future__ import annotations

from harness.cases import pcaps
from harness.cases.pcaps import case_refs, check_all, write_all
from harness.rules.loader import load_project
from harness.rules.project import Project


def test_remembered_renders_are_compared_and_new_ones_rendered(tmp_project, monkeypatch):
    ruleset = load_project(Project(tmp_project))
    refs = case_refs(ruleset)
    write_all(refs, ruleset.project.pcaps_dir)
    rendered = []
    real = pcaps.render_all
    monkeypatch.setattr(pcaps, "render_all", lambda refs, *a, **k: rendered.append(len(refs)) or real(refs, *a, **k))
    assert check_all(refs, ruleset.project.pcaps_dir, reuse=True) == []      # nothing remembered yet: renders
    assert check_all(refs, ruleset.project.pcaps_dir, reuse=True) == []      # all remembered: renders none
    assert check_all(refs, ruleset.project.pcaps_dir) == []                  # without reuse: renders again
    assert rendered == [len(refs), 0, len(refs)]
    committed = refs[0].pcap_path(ruleset.project.pcaps_dir)
    committed.write_bytes(committed.read_bytes() + b"\0")
    [problem] = check_all(refs, ruleset.project.pcaps_dir, reuse=True)
    assert problem.startswith(f"{refs[0].key}: ") and "differs from what" in problem
    memo = tmp_project / ".iotdetect-cache" / "renders"
    for entry in memo.iterdir():      # a remembered digest is what a reused check compares with
        entry.write_text("0" * 64 + "\n")
    assert len(check_all(refs, ruleset.project.pcaps_dir, reuse=True)) == len(refs)


def test_two_runs_on_one_plan_render_its_traffic_once(tmp_project):
    """Two processes preparing the same foreign plan at once (pytest-xdist workers, two terminals):
    the per-plan lock makes the second wait and find every pcap fresh, so the traffic is rendered
    once and nobody replays a half-written pcap."""
    import multiprocessing

    plan = tmp_project / "other-site.yaml"
    plan.write_text((tmp_project / "rules" / "networks.yaml").read_text(encoding="utf-8")
                    .replace("192.168.", "172.20."), encoding="utf-8")
    project = Project(tmp_project, plan)
    assert project.foreign_plan
    refs = case_refs(load_project(project, check_lock=False))
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        written = pool.starmap(_ensure_count, [(tmp_project, plan)] * 2)
    assert sorted(written) == [0, len(refs)], written
    assert all(ref.pcap_path(project.generated_dir).stat().st_size > 24 for ref in refs)
    assert not list(project.generated_dir.rglob("*.tmp"))


def _ensure_count(root, plan) -> int:
    project = Project(root, plan)
    return pcaps.ensure(case_refs(load_project(project, check_lock=False)), project)
