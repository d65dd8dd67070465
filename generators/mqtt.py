"""MQTT 3.1.1 (TCP 1883) built with scapy.contrib.mqtt: CONNECT/CONNACK, PUBLISH, SUBSCRIBE."""

from __future__ import annotations

from scapy.contrib.mqtt import (MQTT, MQTTConnack, MQTTConnect, MQTTDisconnect, MQTTPublish,
                                MQTTSuback, MQTTSubscribe, MQTTTopicQOS)
from scapy.packet import Packet

from . import addresses as A
from .session import TcpSession


def connect_bytes(client_id: str, username: str | None, password: str | None,
                  keepalive: int = 60, clean: bool = True) -> bytes:
    fields = dict(protoname=b"MQTT", protolevel=4, cleansess=int(clean), klive=keepalive,
                  clientId=client_id.encode())
    if username is not None:
        fields.update(usernameflag=1, username=username.encode())
    if password is not None:
        fields.update(passwordflag=1, password=password.encode())
    return bytes(MQTT(type=1) / MQTTConnect(**fields))


def connack_bytes(retcode: int = 0) -> bytes:
    return bytes(MQTT(type=2) / MQTTConnack(sessPresentFlag=0, retcode=retcode))


def publish_bytes(topic: str, payload: bytes, qos: int = 0, retain: bool = False,
                  msgid: int = 1) -> bytes:
    body = MQTTPublish(topic=topic.encode(), value=bytes(payload))
    if qos:
        body.msgid = msgid
    return bytes(MQTT(type=3, QOS=qos, RETAIN=int(retain)) / body)


def _session(src, dst, sport, dport, start, client_id, username, password, retcode):
    s = TcpSession(src, sport, dst, dport, start=start)
    s.client_send(connect_bytes(client_id, username, password))
    s.server_send(connack_bytes(retcode))
    return s


def connect(*, src: str = A.IOT_DEVICE, dst: str = A.MQTT_BROKER, sport: int = A.CLIENT_PORT,
            dport: int = 1883, start: float = A.START, client_id: str = "sensor-0001",
            username: str | None = None, password: str | None = None,
            retcode: int = 0, disconnect: bool = True) -> list[Packet]:
    """CONNECT (optional username/password), broker CONNACK, DISCONNECT, FIN."""
    s = _session(src, dst, sport, dport, start, client_id, username, password, retcode)
    if disconnect and retcode == 0:
        s.client_send(bytes(MQTT(type=14) / MQTTDisconnect()))
    s.close()
    return s.packets


def publish(*, src: str = A.IOT_DEVICE, dst: str = A.MQTT_BROKER, sport: int = A.CLIENT_PORT,
            dport: int = 1883, start: float = A.START, client_id: str = "sensor-0001",
            username: str | None = None, password: str | None = None,
            topic: str = "sensors/temp", payload: bytes = b"21.5", qos: int = 0,
            retain: bool = False, count: int = 1) -> list[Packet]:
    """CONNECT/CONNACK then ``count`` PUBLISH messages to ``topic``."""
    s = _session(src, dst, sport, dport, start, client_id, username, password, 0)
    for i in range(count):
        s.client_send(publish_bytes(topic, payload, qos, retain, msgid=i + 1))
        if qos == 1:
            s.server_send(bytes([0x40, 2, 0, i + 1]))  # PUBACK
    s.client_send(bytes(MQTT(type=14) / MQTTDisconnect()))
    s.close()
    return s.packets


def subscribe(*, src: str = A.CORP_HOST, dst: str = A.MQTT_BROKER, sport: int = A.CLIENT_PORT,
              dport: int = 1883, start: float = A.START, client_id: str = "mqtt-explorer",
              username: str | None = None, password: str | None = None,
              topic: str = "#") -> list[Packet]:
    """CONNECT/CONNACK then SUBSCRIBE ``topic`` (default wildcard ``#``) and SUBACK."""
    s = _session(src, dst, sport, dport, start, client_id, username, password, 0)
    sub = MQTT(type=8, QOS=1) / MQTTSubscribe(msgid=1, topics=[
        MQTTTopicQOS(topic=topic.encode(), QOS=0)])
    s.client_send(bytes(sub))
    s.server_send(bytes(MQTT(type=9) / MQTTSuback(msgid=1, retcodes=[0])))
    s.client_send(bytes(MQTT(type=14) / MQTTDisconnect()))
    s.close()
    return s.packets
