#!/usr/bin/python3
"""Azure's own SDK drives the emulator.

Starts azure-emulator on ephemeral loopback ports, takes a Resource Manager token from its admin endpoint,
then uses only Debian's python3-azure (azure.mgmt.compute at api-version 2022-08-01, with its own
long-running-operation pollers) to create a restore point collection and a restore point, read the point
with its instance view, list collections and delete both. Finally it checks the emulator's request log:
every call carried api-version=2022-08-01 and the SDK polled the Azure-AsyncOperation endpoints itself. Properties
of the returned bodies that the SDK's 2022-08-01 models do not define are printed as NOTE lines (a failed step
with --strict-schema).

Usage: /usr/bin/python3 sdk_check.py --emulator PATH --fixture PATH
Prints one line per step and, last, exactly one line "N passed, M failed"; exits 0 only if all passed.
Contacts nothing but 127.0.0.1.
"""

import argparse
import json
import os
import queue
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request

# Nothing but the loopback emulator may be contacted: no proxy from the environment, for urllib and requests.
for _name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

API_VERSION = "2022-08-01"
CLIENT_ID = "11111111-1111-4111-8111-111111111111"
SUBSCRIPTION = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c"
RESOURCE_GROUP = "prod"
LOCATION = "westeurope"
VM_NAME = "web01"
VM_DISKS = 1  # web01 has an OS disk and no data disks in fixtures/small.yaml
COLLECTION = "sdk-check-web01"
RESTORE_POINT = "sdk-check-rp1"
VM_ID = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
         f"/providers/Microsoft.Compute/virtualMachines/{VM_NAME}")

STARTUP_TIMEOUT = 15.0   # seconds for the emulator to print its two lines
LRO_TIMEOUT = 30.0       # seconds for one long-running operation
OVERALL_TIMEOUT = 120.0  # watchdog: the emulator is stopped after this, so that nothing hangs
STOP_TIMEOUT = 10.0      # seconds between SIGTERM and SIGKILL
POLLING_INTERVAL = 0.2   # the SDK's LRO poller's interval (no Retry-After from the emulator by default)


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, step, detail=""):
        self.passed += 1
        print(f"PASS {step}" + (f": {detail}" if detail else ""), flush=True)

    def fail(self, step, detail):
        self.failed += 1
        print(f"FAIL {step}: {detail}", flush=True)

    def run(self, step, function):
        """Runs function(); a string it returns is the detail; an exception or AssertionError fails the step."""
        try:
            detail = function()
        except AssertionError as e:
            self.fail(step, str(e) or "assertion failed")
            return False
        except Exception as e:  # noqa: BLE001 - any SDK error is a failed step, reported with its text
            self.fail(step, describe(e))
            return False
        self.ok(step, detail or "")
        return True


def describe(error):
    text = f"{type(error).__name__}: {error}"
    response = getattr(error, "response", None)
    if response is not None:
        try:
            text += f" [HTTP {response.status_code} {response.request.method} {response.request.url}]"
        except Exception:  # noqa: BLE001
            pass
    return " ".join(text.split())[:2000]


class Emulator:
    """The emulator as a child process on ephemeral loopback ports, with a temporary state directory."""

    def __init__(self, binary, fixture):
        self.state_dir = tempfile.mkdtemp(prefix="sdk-check-")
        self.stderr_path = os.path.join(self.state_dir, "emulator.stderr")
        self.stderr = open(self.stderr_path, "wb")
        self.lines = queue.Queue()
        try:
            self.process = subprocess.Popen(
                [binary, "--fixture", fixture, "--listen", "127.0.0.1:0", "--imds-listen", "127.0.0.1:0",
                 "--state-dir", self.state_dir, "--time-scale", "60"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr,
                start_new_session=True)  # its own process group: a forced stop reaches its children, nothing else
        except OSError:
            self.stderr.close()
            shutil.rmtree(self.state_dir, ignore_errors=True)
            raise
        # Reads stdout to its end so the child never blocks on a full pipe.
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self.url = None
        self.imds_url = None
        self.ca = os.path.join(self.state_dir, "ca.pem")

    def _read_stdout(self):
        for raw in self.process.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self.lines.put(None)

    def _line(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the emulator printed nothing in time")
        try:
            line = self.lines.get(timeout=remaining)
        except queue.Empty:
            raise AssertionError(f"the emulator printed nothing within {STARTUP_TIMEOUT:.0f} s") from None
        if line is None:
            try:
                status = self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                status = "unknown"
            raise AssertionError(f"the emulator closed its output (exit status {status}) before it was ready")
        return line

    def wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        first = self._line(deadline)
        second = self._line(deadline)
        assert first.startswith("listening https://"), f"unexpected first line {first!r}"
        assert second.startswith("imds http://"), f"unexpected second line {second!r}"
        self.url = first.split(" ", 1)[1]
        self.imds_url = second.split(" ", 1)[1]
        for url in (self.url, self.imds_url):
            assert urllib.parse.urlsplit(url).hostname == "127.0.0.1", f"{url} is not on 127.0.0.1"
        assert os.path.isfile(self.ca), f"{self.ca} was not written"
        return f"{self.url}, {self.imds_url}"

    def admin(self, method, path, body=None):
        """The emulator's admin endpoint, over HTTPS verified with its CA (not through the SDK: it is no Azure API)."""
        context = ssl.create_default_context(cafile=self.ca)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=context))
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))

    def stderr_tail(self, lines=10):
        try:
            self.stderr.flush()
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode("utf-8", "replace").splitlines()
            return " | ".join(text[-lines:])
        except OSError:
            return ""

    def terminate(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM, and SIGKILL if it has not stopped in time. Returns the exit status."""
        self.terminate()
        try:
            status = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=STOP_TIMEOUT)
            status = None
        self.stderr.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        return status


def sdk_steps(report, emulator, token, bodies):
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import ResourceNotFoundError
    from azure.core.pipeline.policies import SansIOHTTPPolicy
    from azure.mgmt.compute import ComputeManagementClient

    class FixedTokenCredential:
        """A TokenCredential with one fixed token."""

        def __init__(self, access_token):
            self._token = AccessToken(access_token, int(time.time()) + 3600)

        def get_token(self, *scopes, **kwargs):
            return self._token

    class LoopbackOnly(SansIOHTTPPolicy):
        """Refuses any request (an LRO poll, a nextLink, a redirect) that would leave 127.0.0.1."""

        def on_request(self, request):
            host = urllib.parse.urlsplit(request.http_request.url).hostname
            if host != "127.0.0.1":
                raise RuntimeError(f"refusing to contact {request.http_request.url}")

    class ResponseRecorder(SansIOHTTPPolicy):
        """Keeps the JSON body of every restore point and collection the emulator returned, for the schema check."""

        def on_response(self, request, response):
            path = urllib.parse.urlsplit(request.http_request.url).path
            http = response.http_response
            if "/restorePointCollections" in path and http.status_code in (200, 201):
                try:
                    body = json.loads(http.text() or "null")
                except ValueError:
                    return
                if isinstance(body, dict):
                    bodies.append((request.http_request.method, path, body))

    client = ComputeManagementClient(
        credential=FixedTokenCredential(token),
        subscription_id=SUBSCRIPTION,
        api_version=API_VERSION,
        base_url=emulator.url,
        credential_scopes=[emulator.url + "/.default"],
        connection_verify=emulator.ca,
        connection_timeout=5,
        read_timeout=15,
        retry_total=3,
        per_retry_policies=[LoopbackOnly(), ResponseRecorder()],
    )

    def create_collection():
        from azure.mgmt.compute.v2022_08_01.models import RestorePointCollection, RestorePointCollectionSourceProperties
        collection = client.restore_point_collections.create_or_update(
            RESOURCE_GROUP, COLLECTION,
            RestorePointCollection(location=LOCATION, source=RestorePointCollectionSourceProperties(id=VM_ID)))
        assert collection.name == COLLECTION, f"name {collection.name!r}"
        assert (collection.location or "").replace(" ", "").lower() == LOCATION, f"location {collection.location!r}"
        assert collection.source is not None and (collection.source.id or "").lower() == VM_ID.lower(), \
            f"source {collection.source and collection.source.id!r}"
        assert collection.provisioning_state == "Succeeded", f"provisioningState {collection.provisioning_state!r}"
        return f"id {collection.id}"

    def create_restore_point():
        from azure.mgmt.compute.v2022_08_01.models import RestorePoint
        started = time.monotonic()
        poller = client.restore_points.begin_create(RESOURCE_GROUP, COLLECTION, RESTORE_POINT, RestorePoint(),
                                                    polling_interval=POLLING_INTERVAL)
        point = poller.result(timeout=LRO_TIMEOUT)
        assert poller.done(), f"the poller is not done after {LRO_TIMEOUT:.0f} s (status {poller.status()!r})"
        assert poller.status() == "Succeeded", f"poller status {poller.status()!r}"
        assert point is not None, "the poller returned no restore point"
        assert point.name == RESTORE_POINT, f"name {point.name!r}"
        assert point.provisioning_state == "Succeeded", f"provisioningState {point.provisioning_state!r}"
        return f"poller {poller.status()} in {time.monotonic() - started:.2f} s"

    def get_with_instance_view():
        point = client.restore_points.get(RESOURCE_GROUP, COLLECTION, RESTORE_POINT, expand="instanceView")
        assert point.provisioning_state == "Succeeded", f"provisioningState {point.provisioning_state!r}"
        view = point.instance_view
        assert view is not None, "no instanceView"
        disks = view.disk_restore_points or []
        assert len(disks) == VM_DISKS, f"{len(disks)} disk restore points in the instance view, {VM_DISKS} expected"
        for disk in disks:
            assert disk.id and "/diskRestorePoints/" in disk.id, f"disk restore point id {disk.id!r}"
        assert point.source_metadata is not None and point.source_metadata.storage_profile is not None \
            and point.source_metadata.storage_profile.os_disk is not None, "no sourceMetadata.storageProfile.osDisk"
        statuses = [s.code for s in (view.statuses or [])]
        return f"{len(disks)} disk restore point(s): {disks[0].id.rsplit('/', 1)[-1]}; statuses {statuses}"

    def list_collections():
        names = [c.name for c in client.restore_point_collections.list(RESOURCE_GROUP)]
        assert COLLECTION in names, f"{COLLECTION} not in {names}"
        return f"{len(names)} collection(s): {names}"

    def delete_restore_point():
        poller = client.restore_points.begin_delete(RESOURCE_GROUP, COLLECTION, RESTORE_POINT,
                                                    polling_interval=POLLING_INTERVAL)
        poller.result(timeout=LRO_TIMEOUT)
        assert poller.done(), f"the poller is not done after {LRO_TIMEOUT:.0f} s"
        assert poller.status() == "Succeeded", f"poller status {poller.status()!r}"
        try:
            client.restore_points.get(RESOURCE_GROUP, COLLECTION, RESTORE_POINT)
        except ResourceNotFoundError:
            return f"poller {poller.status()}; GET then raised ResourceNotFoundError"
        raise AssertionError("the restore point can still be read after its delete succeeded")

    def delete_collection():
        poller = client.restore_point_collections.begin_delete(RESOURCE_GROUP, COLLECTION,
                                                               polling_interval=POLLING_INTERVAL)
        poller.result(timeout=LRO_TIMEOUT)
        assert poller.done(), f"the poller is not done after {LRO_TIMEOUT:.0f} s"
        assert poller.status() == "Succeeded", f"poller status {poller.status()!r}"
        return f"poller {poller.status()}"

    def collection_gone():
        try:
            client.restore_point_collections.get(RESOURCE_GROUP, COLLECTION)
        except ResourceNotFoundError as e:
            code = getattr(getattr(e, "error", None), "code", None)
            return f"ResourceNotFoundError (HTTP {e.status_code}, code {code})"
        raise AssertionError("the collection can still be read after its delete succeeded")

    try:
        report.run("restore_point_collections.create_or_update", create_collection)
        report.run("restore_points.begin_create(...).result()", create_restore_point)
        report.run("restore_points.get(expand=instanceView)", get_with_instance_view)
        report.run("restore_point_collections.list", list_collections)
        report.run("restore_points.begin_delete(...).result()", delete_restore_point)
        report.run("restore_point_collections.begin_delete(...).result()", delete_collection)
        report.run("restore_point_collections.get raises ResourceNotFoundError", collection_gone)
    finally:
        client.close()


def unknown_properties(bodies):
    """JSON property paths the emulator returned that the SDK's own 2022-08-01 models do not define."""
    import re
    from azure.mgmt.compute.v2022_08_01 import models

    def model(type_name):
        return getattr(models, type_name.strip("[]{}"), None)

    def walk(cls, value, path, out):
        if isinstance(value, list):
            for item in value:
                walk(cls, item, path + "[]", out)
            return
        if cls is None or not isinstance(value, dict) or not hasattr(cls, "_attribute_map"):
            return
        fields = {}  # wire key -> {sub-key or None: type}; flattened "properties.x" keys nest one level
        for spec in cls._attribute_map.values():
            keys = [k.replace("\\.", ".") for k in re.split(r"(?<!\\)\.", spec["key"])]
            fields.setdefault(keys[0], {})[keys[1] if len(keys) > 1 else None] = spec["type"]
        for key, item in value.items():
            if key not in fields:
                out.add(f"{path}.{key}")
            elif None in fields[key]:
                walk(model(fields[key][None]), item, f"{path}.{key}", out)
            elif isinstance(item, dict):
                for sub, sub_item in item.items():
                    if sub not in fields[key]:
                        out.add(f"{path}.{key}.{sub}")
                    else:
                        walk(model(fields[key][sub]), sub_item, f"{path}.{key}.{sub}", out)

    found = {}
    for method, path, body in bodies:
        if "value" in body and isinstance(body["value"], list):
            cls, what = models.RestorePointCollection, "RestorePointCollection (list)"
            items = body["value"]
        elif "/restorePoints/" in path:
            cls, what, items = models.RestorePoint, "RestorePoint", [body]
        else:
            cls, what, items = models.RestorePointCollection, "RestorePointCollection", [body]
        out = set()
        for item in items:
            walk(cls, item, "", out)
        for p in out:
            found.setdefault(f"{what}{p}", set()).add(method)
    return {k: sorted(v) for k, v in sorted(found.items())}


def check_schema(bodies):
    unknown = unknown_properties(bodies)
    assert bodies, "no restore point or collection body was recorded"
    assert not unknown, ("properties the 2022-08-01 models do not define: "
                         + "; ".join(f"{k} (in {'/'.join(v)} responses)" for k, v in unknown.items()))
    return f"{len(bodies)} bodies, every property defined at api-version {API_VERSION}"


def check_request_log(emulator):
    log = emulator.admin("GET", "/_emulator/requests")["requests"]
    arm = [r for r in log if r["path"].lower().startswith("/subscriptions/")]
    assert arm, "the request log holds no Resource Manager request"
    wrong = [f"{r['method']} {r['path']} api-version={r['api_version']!r}" for r in arm
             if r["api_version"] != API_VERSION]
    assert not wrong, f"requests without api-version={API_VERSION}: {wrong}"
    not_sdk = [f"{r['method']} {r['path']}" for r in arm if "azsdk-python-azure-mgmt-compute/" not in r["user_agent"]]
    assert not not_sdk, f"requests not made by azure-mgmt-compute: {not_sdk}"
    polls = [r for r in arm if r["method"] == "GET" and "/operations/" in r["path"]]
    assert polls, "the SDK never polled an operation status endpoint (Azure-AsyncOperation)"
    failed = [f"{r['method']} {r['path']} -> {r['status']}" for r in arm
              if r["status"] >= 400 and not (r["method"] == "GET" and r["status"] == 404)]
    assert not failed, f"unexpected error statuses: {failed}"
    return f"{len(arm)} requests, all api-version={API_VERSION}, {len(polls)} operation-status polls by the SDK"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emulator", required=True, help="the azure-emulator binary")
    parser.add_argument("--fixture", required=True, help="the fixture (fixtures/small.yaml)")
    parser.add_argument("--strict-schema", action="store_true",
                        help="fail when a response holds a property the SDK's 2022-08-01 models do not define")
    args = parser.parse_args()

    report = Report()
    emulator = None
    watchdog = None
    try:
        try:
            emulator = Emulator(args.emulator, args.fixture)
        except OSError as e:
            report.fail("start emulator", describe(e))
            return finish(report, emulator)
        def expire():
            print(f"watchdog: {OVERALL_TIMEOUT:.0f} s have passed; stopping the emulator", flush=True)
            emulator.terminate()

        watchdog = threading.Timer(OVERALL_TIMEOUT, expire)
        watchdog.daemon = True
        watchdog.start()
        if not report.run("start emulator", emulator.wait_ready):
            return finish(report, emulator)

        token = {}

        def get_token():
            token["value"] = emulator.admin("POST", "/_emulator/token", {"client_id": CLIENT_ID})["access_token"]
            assert token["value"], "an empty access_token"
            return f"{len(token['value'])} characters"

        if not report.run("token from /_emulator/token", get_token):
            return finish(report, emulator)

        try:
            import azure.mgmt.compute  # noqa: F401
        except ImportError as e:
            report.fail("import azure.mgmt.compute", f"{e} (install Debian's python3-azure)")
            return finish(report, emulator)
        from azure.mgmt.compute._version import VERSION
        print(f"azure-mgmt-compute {VERSION}, api-version {API_VERSION}", flush=True)

        bodies = []
        sdk_steps(report, emulator, token["value"], bodies)
        report.run("request log: api-version and SDK polling", lambda: check_request_log(emulator))
        if args.strict_schema:
            report.run("responses hold only 2022-08-01 properties", lambda: check_schema(bodies))
        else:
            unknown = unknown_properties(bodies)
            for path, methods in unknown.items():
                print(f"NOTE not defined at api-version {API_VERSION}: {path} (in {'/'.join(methods)} responses);"
                      " --strict-schema makes this a failure", flush=True)
    except Exception as e:  # noqa: BLE001 - a bug in this script is a failure too, never a silent pass
        report.fail("sdk_check", describe(e) + " " + " ".join(traceback.format_exc().split())[-500:])
    finally:
        if watchdog is not None:
            watchdog.cancel()
    return finish(report, emulator)


def finish(report, emulator):
    if emulator is not None:
        tail = emulator.stderr_tail() if report.failed else ""
        status = emulator.stop()
        if status is None:
            report.fail("stop emulator", f"it ignored SIGTERM for {STOP_TIMEOUT:.0f} s and was killed")
        elif report.failed and tail:
            print(f"emulator stderr: {tail}", flush=True)
    print(f"{report.passed} passed, {report.failed} failed", flush=True)
    return 0 if report.failed == 0 and report.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
