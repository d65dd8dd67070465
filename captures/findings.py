"""What the real captures showed about a rule or a tool, by scenario: written into manifest.json as
`finding`. A finding about a rule names the case that failed before the fix and passes after it."""

FINDINGS = {
    'modbus-fc-sweep-corp': (
        'pymodbus 3.16 answers every unknown code with 0x80 01 (not code|0x80): modbus-function-code-sweep rev 1 ([\\x81-\\xff]) stayed silent on this sweep; rev 2 accepts 0x80.'),
    'enip-set-attribute-single-corp': (
        "cpppo routes the request inside an Unconnected Send (0x52, path 1/0): Suricata's cip_service sees only the outer 0x52, so enip-cip-set-attribute-single stays silent; enip-cip-unconnected-send-admin-service-non-engineering reads the embedded service."),
    'telnet-password-guessing': (
        "8 'Login incorrect' in 30 s over 4 connections: iot-telnet-login-failures rev 2 (reassembled stream, inspected once per short connection) stayed silent; rev 3 counts answer packets (no_stream)."),
    'dnp3-poll-corp': (
        "opendnp3's start-up clears the outstation's restart bit with a g80v1 Write: dnp3-write-non-engineering fires on any master run from a non-engineering host (its description names g80 writes)."),
    'mqtt-port-1884': (
        'Suricata 7 gives 1884 no app-layer protocol: only iot-mqtt-nonstandard-port (raw payload) sees this CONNECT with credentials.'),
    'dnp3-select-operate-corp': (
        "the binding aborts (exit 134, a pybind11 cast of the command result) after the outstation's answer: request and answer are on the wire."),
    'dnp3-direct-operate-corp': (
        "the binding aborts (exit 134, a pybind11 cast of the command result) after the outstation's answer: request and answer are on the wire."),
}
