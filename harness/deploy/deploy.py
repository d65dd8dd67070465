"""Deploy orchestration shared by every target: want vs have -> plan -> (unless dry run) apply."""
from __future__ import annotations

from dataclasses import dataclass

from harness.rules.loader import RuleSet
from harness.deploy import deploy_elastic, deploy_sentinel, deploy_splunk, plan
from harness.release.siem_outputs import compile_siem


@dataclass(frozen=True)
class DeployOptions:
    dry_run: bool = True
    existing: dict | None = None      # what the target holds, given instead of fetched (tests, offline review)
    insecure: bool = False
    insecure_http: bool = False       # allow an http:// SPLUNK_URL (the token then travels in cleartext)
    subscription: str | None = None
    resource_group: str | None = None
    workspace: str | None = None


def _splunk(rules, siem, environ, options: DeployOptions):
    want = deploy_splunk.desired(rules, siem)
    if options.existing is not None:
        return deploy_splunk.make_plan(want, options.existing), None
    target = deploy_splunk.SplunkTarget.from_env(environ, insecure=options.insecure, insecure_http=options.insecure_http)
    service = deploy_splunk.connect(target)
    with deploy_splunk.talking_to(target, "reading saved searches and macros"):
        steps = deploy_splunk.make_plan(want, deploy_splunk.fetch_existing(service, want))

    def apply() -> None:
        with deploy_splunk.talking_to(target, "writing saved searches and macros"):
            deploy_splunk.apply(service, want, steps)
    return steps, apply


def _sentinel(rules, siem, environ, options: DeployOptions):
    want = deploy_sentinel.desired_models(rules, siem)
    if options.existing is not None:
        return deploy_sentinel.make_plan(want, options.existing), None
    target = deploy_sentinel.SentinelTarget.from_env(environ, options.subscription, options.resource_group,
                                                     options.workspace)
    with deploy_sentinel.talking_to(target, "authenticating and reading analytics rules"):
        api = deploy_sentinel.client(target)
        steps = deploy_sentinel.make_plan(want, deploy_sentinel.fetch_existing(api, target, want))

    def apply() -> None:
        with deploy_sentinel.talking_to(target, "writing analytics rules"):
            deploy_sentinel.apply(api, target, want, steps)
    return steps, apply


def _elastic(rules, siem, environ, options: DeployOptions):
    want = deploy_elastic.desired(rules, siem)
    if options.existing is not None:
        return deploy_elastic.make_plan(want, options.existing), None
    kibana = deploy_elastic.Kibana(deploy_elastic.KibanaTarget.from_env(environ, insecure=options.insecure))
    steps = deploy_elastic.make_plan(want, kibana.existing(want))
    return steps, lambda: kibana.apply(want, steps)


# Target name -> function returning (plan, apply-callable or None when nothing can be applied).
TARGETS = {"splunk": _splunk, "sentinel": _sentinel, "elastic": _elastic}


def deploy(target: str, ruleset: RuleSet, environ, options: DeployOptions, echo=print) -> list[plan.Step]:
    rules = [s.rule for s in ruleset.active()]
    steps, apply = TARGETS[target](rules, compile_siem(ruleset, rules), environ, options)
    for step in steps:
        echo(str(step))
    will_apply = apply is not None and not options.dry_run
    echo(f"plan: {plan.summary(steps)}" + ("" if will_apply else " (dry run, nothing changed)"))
    if will_apply:
        apply()
        echo("applied")
    return steps
