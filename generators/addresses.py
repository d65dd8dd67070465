"""Default hosts of the generators, as roles of the site plan (rules/networks.yaml).

Generators never carry a site's addresses: the harness resolves these role strings (and any role a
test case passes) to concrete hosts of the plan before it calls a generator (harness/cases/roles.py).
A generator called directly from Python gets concrete addresses from its caller.
"""

IOT_DEVICE = "$IOT_NET"
IOT_DEVICE_2 = "$IOT_NET[2]"
MQTT_BROKER = "$MQTT_BROKERS"
CORP_HOST = "$CORP_NET"
MGMT_HOST = "$MGMT_NET"
ENG_WORKSTATION = "$ENGINEERING_HOSTS"
PLC = "$OT_NET"
DNS_RESOLVER = "$DNS_RESOLVERS"
NTP_SERVER = "$IOT_SERVICES"
UPDATE_SERVER = "$IOT_SERVICES"
EXTERNAL_HOST = "$EXTERNAL_NET"
EXTERNAL_HOST_2 = "$EXTERNAL_NET[2]"
CLIENT_PORT = 49152
START = 1700000000.0
