"""The load client of bench/compute.sh (standard library only): boots and deletes
servers through the compute API with 16 requests in flight, times servers/detail
pages with wrk, and reads the compute process's RSS."""
import subprocess
import sys
import time
import urllib.request as u
from concurrent.futures import ThreadPoolExecutor

from client import call, login

identity_port, hosts, count, detail, workdir, up_pid = sys.argv[1:]
hosts, count, detail = int(hosts), int(count), int(detail)
token, endpoint = login(identity_port)
nova, glance = endpoint("compute"), endpoint("image")

deadline = time.time() + 300
while True:
    _, listed = call("GET", nova + "/os-hypervisors", token)
    if len(listed["hypervisors"]) >= hosts:
        break
    assert time.time() < deadline, "the simulated hosts never reported"
    time.sleep(1)

call("POST", nova + "/flavors", token, {"flavor": {"name": "bench", "id": "bench", "ram": 64,
                                                   "vcpus": 1, "disk": 1}})
_, image = call("POST", glance + "/v2/images", token, {"name": "bench", "disk_format": "raw",
                                                       "container_format": "bare"})
req = u.Request(f"{glance}/v2/images/{image['id']}/file", bytes(4096),
                {"Content-Type": "application/octet-stream", "X-Auth-Token": token}, method="PUT")
u.urlopen(req, timeout=60).close()
server = {"server": {"name": "bench", "imageRef": image["id"], "flavorRef": "bench",
                     "networks": "none"}}
headers = {"OpenStack-API-Version": "compute 2.47"}


def count_servers(status=None):
    query = "?status=" + status if status else ""
    total, marker = 0, None
    while True:
        page = query + ("&" if query else "?") + "limit=1000" + (f"&marker={marker}" if marker else "")
        _, listed = call("GET", nova + "/servers" + page, token)
        total += len(listed["servers"])
        if len(listed["servers"]) < 1000:
            return total
        marker = listed["servers"][-1]["id"]


def boot(_):
    return call("POST", nova + "/servers", token, server, headers)[1]["server"]["id"]


started = time.time()
with ThreadPoolExecutor(16) as pool:
    ids = list(pool.map(boot, range(count)))
while count_servers("ACTIVE") < count:
    assert count_servers("ERROR") == 0, "servers went to ERROR"
    time.sleep(0.2)
booted = time.time()
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda i: call("DELETE", f"{nova}/servers/{i}", token), ids))
while count_servers() > 0:
    time.sleep(0.2)
deleted = time.time()
print(f"compute: {count} servers on {hosts} simulated hosts (fake driver), 16 requests in flight")
print(f"| {'measure':<34} | {'value':>14} |")
print(f"|{'-' * 36}|{'-' * 16}|")
print(f"| {'boot until ACTIVE':<34} | {count / (booted - started):9.1f} /s   |")
print(f"| {'delete until gone':<34} | {count / (deleted - booted):9.1f} /s   |")

# Many servers: batches of 100 (min_count), then servers/detail pages.
batch = {"server": dict(server["server"], min_count=100)}
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda _: call("POST", nova + "/servers", token, batch, headers), range(detail // 100)))
while count_servers("ACTIVE") < detail:
    time.sleep(1)
out = subprocess.run(["wrk", "-t1", "-c4", "-d5s", "-H", f"X-Auth-Token: {token}",
                      nova + "/servers/detail?limit=1000"], capture_output=True, text=True).stdout
rate = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
print(f"| {f'servers/detail, page of 1000 ({detail})':<34} | {float(rate):9.1f} /s   |")
children = subprocess.run(["ps", "-o", "pid=,rss=,comm=", "--ppid", up_pid], capture_output=True,
                          text=True).stdout.split("\n")
rss = next(int(line.split()[1]) for line in children if "ferrostack-comp" in line)
print(f"| {f'compute RSS with {detail} servers':<34} | {rss / 1024:9.0f} MiB |")
