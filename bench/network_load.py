"""The load client of bench/network.sh (standard library only): creates and
deletes ports through the network API with 16 requests in flight, binds ports
to the agent's host until ACTIVE, times ports lists with wrk, and reads the
network process's RSS."""
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from client import call, login

identity_port, count, bound, listed, up_pid = sys.argv[1:]
count, bound, listed = int(count), int(bound), int(listed)
token, endpoint = login(identity_port)
neutron = endpoint("network") + "/v2.0"

deadline = time.time() + 60
while True:
    _, agents = call("GET", neutron + "/agents?binary=neutron-linuxbridge-agent", token)
    if agents["agents"] and agents["agents"][0]["alive"]:
        host = agents["agents"][0]["host"]
        break
    assert time.time() < deadline, "the agent never reported"
    time.sleep(0.5)

_, net = call("POST", neutron + "/networks", token, {"network": {"name": "bench"}})
net = net["network"]["id"]
call("POST", neutron + "/subnets", token, {"subnet": {
    "network_id": net, "ip_version": 4, "cidr": "10.0.0.0/16", "enable_dhcp": False}})


def create(_):
    return call("POST", neutron + "/ports", token, {"port": {"network_id": net}})[1]["port"]["id"]


started = time.time()
with ThreadPoolExecutor(16) as pool:
    ids = list(pool.map(create, range(count)))
created = time.time()
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda i: call("DELETE", f"{neutron}/ports/{i}", token), ids))
deleted = time.time()
print(f"network: {count} ports (noop data plane), 16 requests in flight")
print(f"| {'measure':<36} | {'value':>14} |")
print(f"|{'-' * 38}|{'-' * 16}|")
print(f"| {'port create':<36} | {count / (created - started):9.1f} /s   |")
print(f"| {'port delete':<36} | {count / (deleted - created):9.1f} /s   |")


def active():
    total, marker = 0, None
    while True:
        page = f"?status=ACTIVE&binding:host_id={host}&limit=1000" + (f"&marker={marker}" if marker else "")
        _, found = call("GET", neutron + "/ports" + page, token)
        total += len(found["ports"])
        if len(found["ports"]) < 1000:
            return total
        marker = found["ports"][-1]["id"]


# Bound to the agent's host: created in bulk, then wired one by one.
started = time.time()
for _ in range(bound // 100):
    call("POST", neutron + "/ports", token,
         {"ports": [{"network_id": net, "binding:host_id": host} for _ in range(100)]})
while active() < bound:
    assert time.time() - started < 600, "bound ports never all went ACTIVE"
    time.sleep(0.2)
wired = time.time()
print(f"| {f'{bound} bound ports until ACTIVE':<36} | {wired - started:9.2f} s    |")

with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda _: call("POST", neutron + "/ports", token,
                                 {"ports": [{"network_id": net} for _ in range(100)]}),
                  range((listed - bound) // 100)))
for label, query in ((f"ports list, page of 1000 ({listed})", "?limit=1000"),
                     (f"ports list, all {listed}", "")):
    out = subprocess.run(["wrk", "-t1", "-c4", "-d5s", "--timeout", "30s", "-H", f"X-Auth-Token: {token}",
                          neutron + "/ports" + query], capture_output=True, text=True).stdout
    rate = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    print(f"| {label:<36} | {float(rate):9.1f} /s   |")
children = subprocess.run(["ps", "-o", "pid=,rss=,comm=", "--ppid", up_pid], capture_output=True,
                          text=True).stdout.split("\n")
rss = next(int(line.split()[1]) for line in children if "ferrostack-netw" in line)
print(f"| {f'network RSS with {listed} ports':<36} | {rss / 1024:9.0f} MiB |")
