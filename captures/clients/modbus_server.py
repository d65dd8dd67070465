"""A pymodbus TCP server for the capture lab: 200 holding registers, 64 coils, a device identity.

Run inside the lab's device namespace: `modbus_server.py ADDRESS` (port 502)."""
import logging
import sys

from pymodbus import ModbusDeviceIdentification
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer

logging.basicConfig(level=logging.ERROR)
device = ModbusDeviceContext(co=ModbusSequentialDataBlock(1, [0] * 64), di=ModbusSequentialDataBlock(1, [0] * 64),
                             hr=ModbusSequentialDataBlock(1, list(range(200))), ir=ModbusSequentialDataBlock(1, [7] * 64))
identity = ModbusDeviceIdentification(info_name={"VendorName": "LabPLC", "ProductCode": "LP-1", "MajorMinorRevision": "1.0"})
StartTcpServer(context=ModbusServerContext(devices=device), identity=identity, address=(sys.argv[1], 502))
