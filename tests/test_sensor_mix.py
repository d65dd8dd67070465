"""The sensor bench's traffic mix (bench/sensor_mix.py): deterministic, valid checksums, and the
protocols it claims are the ones Suricata recognises in it. A small mix (2 s); the bench's own
runs are measured in bench/, not here."""
import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import sensor_mix  # noqa: E402

SMALL = sensor_mix.Mix(duration=2.0, cameras=3, camera_kbit=400, sensors=8, plcs=2, case_share=0.05)


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    networks = yaml.safe_load((ROOT / "rules" / "networks.yaml").read_text())
    folder = tmp_path_factory.mktemp("mix")
    first = sensor_mix.write_mix(SMALL, networks, ROOT / "pcaps", folder / "a.pcap")
    second = sensor_mix.write_mix(SMALL, networks, ROOT / "pcaps", folder / "b.pcap")
    return folder, first, second


def test_same_arguments_same_bytes(mix):
    folder, first, second = mix
    assert first == second and first["packets"] > 1000 and first["case pcaps"] > 0
    assert (folder / "a.pcap").read_bytes() == (folder / "b.pcap").read_bytes()


def test_every_generated_frame_has_valid_checksums(mix):
    folder, _, _ = mix
    frames = sensor_mix.read_pcap(folder / "a.pcap")
    assert frames == sorted(frames, key=lambda frame: frame[0])          # time never goes back
    case_macs = {bytes.fromhex("020000000001"), bytes.fromhex("020000000002")}   # generators/session.py
    checked = 0
    for _, data in frames:
        packet = Ether(data)
        if IP not in packet or data[6:12] in case_macs:     # the case pcaps' frames are copied as they are
            continue
        for layer in (IP, TCP, UDP):
            if layer in packet:
                stored = packet[layer].chksum
                del packet[layer].chksum
                assert Ether(bytes(packet))[layer].chksum == stored, packet.summary()
                checked += 1
    assert checked > 800       # IP and TCP/UDP of each generated frame


def test_a_broken_checksum_is_seen():
    frame = bytearray(sensor_mix.udp_frame("192.168.200.10", 5000, "10.0.0.1", 53, b"payload", 1))
    frame[-1] ^= 0xFF
    packet = Ether(bytes(frame))
    stored = packet[UDP].chksum
    del packet[UDP].chksum
    assert Ether(bytes(packet))[UDP].chksum != stored


@pytest.mark.skipif(not shutil.which("suricata"), reason="needs suricata")
def test_suricata_sees_the_protocols_of_the_mix(mix, tmp_path):
    folder, _, _ = mix
    from harness.suricata.workspace import write_harness_config
    from harness.rules.loader import load_project
    from harness.rules.project import Project
    config = write_harness_config(load_project(Project(ROOT)), tmp_path)
    rules = tmp_path / "none.rules"
    rules.write_text("")
    run = subprocess.run(["suricata", "-c", str(config), "-S", str(rules), "-r", str(folder / "a.pcap"),
                          "-l", str(tmp_path), "--runmode", "single"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    flows = collections.Counter()
    for line in (tmp_path / "eve.json").read_text().splitlines():
        record = json.loads(line)
        if record["event_type"] == "flow":
            flows[record.get("app_proto", "none")] += 1
    for proto in ("http", "mqtt", "modbus", "dns", "tls", "snmp", "ntp"):
        assert flows[proto] > 0, (proto, flows)
    # RTSP and RTP have no parser in Suricata 7: the camera flows are the "failed" ones
    assert flows["failed"] >= SMALL.cameras * 14 // 22
