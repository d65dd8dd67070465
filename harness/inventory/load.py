"""Load and validate inventory/ like the rules: every finding with file:line:field, nothing half-loaded."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from harness.rules import networks as networks_mod, yamlsource
from harness.cases import roles
from harness.rules.errors import Finding, RuleErrors, rel
from harness.inventory.model import ClassesFile, Device, DeviceClass, DevicesFile, FirmwareFile, ModelPolicy
from harness.rules.loader import validation_findings
from harness.rules.networks import Networks
from harness.rules.project import Project
from harness.rules.yamlsource import Lines

# Where the role-named addresses of inventory/devices.yaml are resolved (one Plan per load).
_Resolver = Callable[[Any, Lines], tuple[Any, list[Finding], set[str]]]

# The variables a device address must fall in (rules/networks.yaml): the networks the inventory covers.
DEVICE_NETWORKS = ("IOT_NET", "OT_NET")


def folder(project: Project) -> Path:
    return project.root / "inventory"


@dataclass(frozen=True)
class Inventory:
    classes: dict[str, DeviceClass]
    devices: tuple[Device, ...]
    models: tuple[ModelPolicy, ...]
    networks: Networks
    device_lines: dict[str, int]        # device name -> line in devices.yaml (for later findings)

    def by_name(self, name: str) -> Device:
        for device in self.devices:
            if device.name == name:
                return device
        raise KeyError(f"no device named {name!r} in the inventory")

    def by_ip(self) -> dict[str, Device]:
        return {ip: d for d in self.devices for ip in d.ips}

    def services(self, device: Device) -> tuple[str, ...]:
        """The device's whole profile: its class's services plus its own, sorted by transport, port."""
        merged = set(self.classes[device.device_class].services) | set(device.services)
        return tuple(sorted(merged, key=lambda s: (s.split("/")[0], int(s.split("/")[1]))))

    def peers(self, device: Device) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.classes[device.device_class].peers + device.peers))

    def policy(self, device: Device) -> ModelPolicy | None:
        for policy in self.models:
            if (policy.vendor, policy.model) == (device.vendor, device.model):
                return policy
        return None


def address(value: Any, plan: roles.Plan) -> Any:
    """A device address: a role (`$IOT_NET[20]`) becomes its host on the plan, anything else is
    returned unchanged (literal addresses, and values the model rejects itself). Each role resolves
    on its own, in its variable's preferred family: a device's addresses need not share one, and
    distinct indexes of one variable are distinct hosts. Raises RoleError/ValueError naming the role."""
    role = roles.parse(value)
    if role is None:
        return value
    if role.var not in plan.networks.groups:
        raise roles.RoleError(f"undefined network variable ${role.var}")
    families = plan.families(role.var)
    if not families:
        raise roles.RoleError(f"${role.var} has no host outside the variables it contains")
    hosts = plan.hosts(role.var, families[0], role.index)
    if len(hosts) < role.index:
        raise roles.RoleError(f"${role.var} has only {len(hosts)} IPv{families[0]} host(s) outside the"
                              " variables it contains")
    return hosts[-1]


def _resolve_ips(data: Any, lines: Lines, plan: roles.Plan, name: str) -> tuple[Any, list[Finding], set[str]]:
    """data with every role in devices[*].ips replaced by its host, before model validation, so
    everything downstream sees concrete addresses. Returns the findings for roles the plan cannot
    satisfy and the field paths they cover (the model's own complaint there is redundant)."""
    findings: list[Finding] = []
    covered: set[str] = set()
    devices = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        return data, findings, covered
    out = []
    for index, device in enumerate(devices):
        ips = device.get("ips") if isinstance(device, dict) else None
        if not isinstance(ips, list):
            out.append(device)
            continue
        resolved = []
        for position, value in enumerate(ips):
            try:
                resolved.append(address(value, plan))
            except ValueError as exc:       # RoleError is one
                # the model's complaints about this entry (not an address; the list left empty) are redundant
                covered |= {f"devices.{index}.ips.{position}", f"devices.{index}.ips"}
                findings.append(Finding(name, yamlsource.line_of(lines, ("devices", index, "ips", position)), "ips",
                                        f"{value}: {exc} ({plan.source})"))
                resolved.append(value)
        out.append({**device, "ips": resolved})
    return {**data, "devices": out}, findings, covered


def _parse(path: Path, model: type[BaseModel], root: Path,
           resolver: _Resolver | None = None) -> tuple[BaseModel | None, Lines, list[Finding]]:
    name = rel(path, root)
    try:
        data, lines = yamlsource.load(path)
    except FileNotFoundError:
        return None, {}, [Finding(name, 0, "", "inventory file is missing")]
    except yamlsource.YamlSourceError as exc:
        return None, {}, [Finding(name, exc.line, "", exc.message)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, lines, [Finding(name, 1, "", f"expected a mapping with {', '.join(model.model_fields)}")]
    found: list[Finding] = []
    covered: set[str] = set()
    if resolver is not None:
        data, found, covered = resolver(data, lines)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        return None, lines, found + [_rename(f) for f in validation_findings(exc, name, lines) if f.field not in covered]
    return (None if found else parsed), lines, found


def _rename(finding: Finding) -> Finding:
    # The model's attribute is device_class (class is a Python keyword); report the YAML key.
    return Finding(finding.path, finding.line, finding.field.replace("device_class", "class"), finding.message)


def _semantic(devices: DevicesFile, classes: ClassesFile, nets: Networks | None, models: FirmwareFile,
              name: str, lines: Lines) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    missing_vars = [v for v in DEVICE_NETWORKS if nets is None or v not in nets.groups]
    for index, device in enumerate(devices.devices):
        def at(*key) -> int:
            return yamlsource.line_of(lines, ("devices", index) + key)
        if device.device_class not in classes.classes:
            findings.append(Finding(name, at("class"), "class", f"unknown class {device.device_class!r}; classes:"
                                    f" {', '.join(sorted(classes.classes))}"))
        for key, values in (("name", (device.name,)), ("ips", device.ips), ("mac", (device.mac,) if device.mac else ())):
            for position, value in enumerate(values):
                other = seen.setdefault((key, value), (index, device.name))
                if other[0] != index:
                    line = at(key, position) if key == "ips" else at(key)
                    findings.append(Finding(name, line, key, f"duplicate {key.rstrip('s')} {value} (also device"
                                            f" {other[1]}, line {yamlsource.line_of(lines, ('devices', other[0]))})"))
        if nets is not None and not missing_vars:
            for position, ip in enumerate(device.ips):
                if not any(nets.contains(nets.groups[v], ip) for v in DEVICE_NETWORKS):
                    findings.append(Finding(name, at("ips", position), "ips", f"{ip} is outside "
                                            + " and ".join("$" + v for v in DEVICE_NETWORKS) + " (rules/networks.yaml)"))
        for key in ("peers",):
            for position, peer in enumerate(getattr(device, key)):
                for ref in (nets.references((peer,)) if nets else ()):
                    if ref not in nets.groups:
                        findings.append(Finding(name, at(key, position), key, f"undefined network variable ${ref}"))
    if missing_vars and devices.devices:
        findings.append(Finding(name, 1, "ips", "rules/networks.yaml defines no " + ", ".join("$" + v for v in missing_vars)))
    return findings


def _model_findings(models: FirmwareFile, name: str, lines: Lines) -> list[Finding]:
    findings, seen, hashes = [], set(), {}
    for index, policy in enumerate(models.models):
        key = (policy.vendor, policy.model)
        if key in seen:
            findings.append(Finding(name, yamlsource.line_of(lines, ("models", index)), "models",
                                    f"duplicate model {policy.vendor} {policy.model}"))
        seen.add(key)
        for position, image in enumerate(policy.approved):
            other = hashes.setdefault(image.sha256, key)
            if other != key:
                findings.append(Finding(name, yamlsource.line_of(lines, ("models", index, "approved", position, "sha256")),
                                        "approved.sha256", f"image also approved for {other[0]} {other[1]}"))
    return findings


def _class_findings(classes: ClassesFile, nets: Networks | None, name: str, lines: Lines) -> list[Finding]:
    findings = []
    for class_name, device_class in classes.classes.items():
        for position, peer in enumerate(device_class.peers):
            for ref in (nets.references((peer,)) if nets else ()):
                if ref not in nets.groups:
                    findings.append(Finding(name, yamlsource.line_of(lines, ("classes", class_name, "peers", position)),
                                            "peers", f"undefined network variable ${ref}"))
    return findings


def exists(project: Project) -> bool:
    return (folder(project) / "devices.yaml").is_file()


def load_inventory(project: Project, nets: Networks | None = None) -> Inventory:
    """Load inventory/; raise RuleErrors with every finding when anything is wrong."""
    root, base = project.root, folder(project)
    findings: list[Finding] = []
    if nets is None:
        nets, net_findings = networks_mod.load(project.networks_file, root)
        findings += net_findings
    classes, class_lines, errors = _parse(base / "classes.yaml", ClassesFile, root)
    findings += errors
    device_name = rel(base / "devices.yaml", root)
    resolver = None
    if nets is not None:
        plan = roles.Plan(nets, rel(project.networks_file, root))
        resolver = lambda data, lines: _resolve_ips(data, lines, plan, device_name)   # noqa: E731
    devices, device_lines, errors = _parse(base / "devices.yaml", DevicesFile, root, resolver)
    findings += errors
    firmware_path = base / "firmware.yaml"
    models, model_lines = FirmwareFile(), {}
    if firmware_path.is_file():
        models, model_lines, errors = _parse(firmware_path, FirmwareFile, root)
        findings += errors
    if classes is not None:
        findings += _class_findings(classes, nets, rel(base / "classes.yaml", root), class_lines)
    if devices is not None and classes is not None:
        findings += _semantic(devices, classes, nets, models or FirmwareFile(), rel(base / "devices.yaml", root), device_lines)
    if models is not None:
        findings += _model_findings(models, rel(firmware_path, root), model_lines)
    if findings:
        raise RuleErrors(findings)
    lines = {d.name: yamlsource.line_of(device_lines, ("devices", i)) for i, d in enumerate(devices.devices)}
    return Inventory(dict(classes.classes), devices.devices, models.models, nets, lines)
