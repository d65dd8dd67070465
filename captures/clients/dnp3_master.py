"""An opendnp3 master (dnp3-python's MyMaster) for the capture lab.

`dnp3_master.py OUTSTATION ACTION...`: connect (the stack's own start-up: integrity poll, clearing
the outstation's restart bit), perform each ACTION in turn, wait for the answers, exit. The
file-transfer and no-ack codes go through the stack's PerformFunction, which sends the function code
with object headers but no object data: what the wire shows is opendnp3's own framing."""
import os
import sys
import time

from pydnp3 import asiodnp3, opendnp3

from dnp3_python.dnp3station.master import MyMaster

H = opendnp3.Header
F = opendnp3.FunctionCode


def crob() -> opendnp3.ControlRelayOutputBlock:
    return opendnp3.ControlRelayOutputBlock(opendnp3.ControlCode.LATCH_ON)


def _done(*_args) -> None:
    # Python callbacks only where the binding can pass the result (command results abort it:
    # pybind11 cannot copy ICommandTaskResult), so commands use the stack's printing callback
    pass


ACTIONS = {
    "poll": lambda m: m.master.ScanClasses(opendnp3.ClassField().AllClasses()),
    "select-operate": lambda m: m.master.SelectAndOperate(crob(), 0, asiodnp3.PrintingCommandCallback.Get()),
    "direct-operate": lambda m: m.master.DirectOperate(crob(), 0, asiodnp3.PrintingCommandCallback.Get()),
    "direct-operate-nr": lambda m: m.master.PerformFunction("do-nr", F.DIRECT_OPERATE_NR, [H.Count8(12, 1, 1)]),
    "cold-restart": lambda m: m.master.Restart(opendnp3.RestartType.COLD, _done),
    "warm-restart": lambda m: m.master.Restart(opendnp3.RestartType.WARM, _done),
    "freeze": lambda m: m.master.PerformFunction("freeze", F.IMMED_FREEZE, [H.AllObjects(20, 0)]),
    "freeze-nr": lambda m: m.master.PerformFunction("freeze-nr", F.IMMED_FREEZE_NR, [H.AllObjects(20, 0)]),
    "stop-app": lambda m: m.master.PerformFunction("stop", F.STOP_APPLICATION, [H.AllObjects(90, 1)]),
    "start-app": lambda m: m.master.PerformFunction("start", F.START_APPLICATION, [H.AllObjects(90, 1)]),
    "write-time": lambda m: m.master.Write(opendnp3.TimeAndInterval(opendnp3.DNPTime(0), 60, opendnp3.IntervalUnits.Seconds), 0),
    "open-file": lambda m: m.master.PerformFunction("open", F.OPEN_FILE, [H.AllObjects(70, 3)]),
    "delete-file": lambda m: m.master.PerformFunction("delete", F.DELETE_FILE, [H.AllObjects(70, 3)]),
}

if __name__ == "__main__":
    master = MyMaster(outstation_ip=sys.argv[1], port=20000)
    master.start()
    time.sleep(1.5)
    for action in sys.argv[2:]:
        print("action", action, flush=True)
        ACTIONS[action](master)
        time.sleep(0.8)
    time.sleep(0.5)
    os._exit(0)
