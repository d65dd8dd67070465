"""An opendnp3 outstation (dnp3-python's MyOutStation) for the capture lab: TCP 20000, link address 1.

`dnp3_outstation.py SECONDS`: serves that long, then exits (the binding's own shutdown can hang)."""
import os
import sys
import time

from dnp3_python.dnp3station.outstation import MyOutStation

outstation = MyOutStation(outstation_ip="0.0.0.0", port=20000)   # binds every address of its own namespace
outstation.start()
time.sleep(float(sys.argv[1]))
os._exit(0)
