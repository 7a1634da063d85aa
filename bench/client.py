"""What the load clients of bench/ share (standard library only): JSON calls
and an admin login giving a token and the catalog's public endpoints."""
import json
import urllib.request as u


def call(method, url, token=None, body=None, headers=None):
    """`method` on `url`: the response and its JSON body (None when empty)."""
    data = json.dumps(body).encode() if body is not None else None
    req = u.Request(url, data, {"Content-Type": "application/json", **(headers or {})}, method=method)
    if token:
        req.add_header("X-Auth-Token", token)
    with u.urlopen(req, timeout=300) as resp:
        text = resp.read()
        return resp, (json.loads(text) if text else None)


def login(identity_port, password="bench"):
    """admin on project admin: its token, and `endpoint(type)` of the catalog."""
    identity = f"http://127.0.0.1:{identity_port}/v3"
    auth = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    resp, body = call("POST", identity + "/auth/tokens", body=auth)
    catalog = body["token"]["catalog"]

    def endpoint(kind):
        return next(e["url"] for s in catalog if s["type"] == kind
                    for e in s["endpoints"] if e["interface"] == "public").rstrip("/")
    return resp.headers["X-Subject-Token"], endpoint
