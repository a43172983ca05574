"""add-region's variables files: read the region facts, and write a new region's file by
splicing only its region-specific values into the source file's text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from migrate import regions, yaml_splice
from migrate.contract import load_yaml
from migrate.errors import Refused


@dataclass(frozen=True)
class Variables:
    """The region-specific facts of one variables file."""

    path: str
    customer_id: str
    state_key: str
    cloud_region: str | None
    name: str | None  # region.name, when the file names its region
    zones: tuple[str, ...]
    vpc: ipaddress.IPv4Network | None
    public: tuple[ipaddress.IPv4Network, ...]
    private: tuple[ipaddress.IPv4Network, ...]


def read_variables(path: str, data: bytes) -> Variables:
    """The facts add-region needs from a variables file; refuses a file without them."""
    doc = load_yaml(data, path, typed=True)
    if not isinstance(doc, dict):
        raise Refused(f"{path} is not a YAML mapping", f"fix {path}, commit, and run again")
    region: dict[str, Any] = doc["region"] if isinstance(doc.get("region"), dict) else {}
    network: dict[str, Any] = doc["network"] if isinstance(doc.get("network"), dict) else {}

    def nets(key: str) -> tuple[ipaddress.IPv4Network, ...]:
        items = network.get(key) or []
        if not isinstance(items, list):
            raise Refused(f"{path} network.{key} is not a list", f"fix {path} and run again")
        return tuple(regions.parse_network(v, f"{path} network.{key}") for v in items)

    vpc = network.get("vpc_cidr")
    zones = region.get("availability_zones") or []
    return Variables(
        path=path,
        customer_id=str(doc.get("customer_id") or ""),
        state_key=str(doc.get("state_key") or ""),
        cloud_region=str(region["cloud_region"]) if region.get("cloud_region") else None,
        name=str(region["name"]) if region.get("name") else None,
        zones=tuple(str(z) for z in zones) if isinstance(zones, list) else (),
        vpc=regions.parse_network(vpc, f"{path} network.vpc_cidr") if vpc else None,
        public=nets("public_subnets"),
        private=nets("private_subnets"),
    )


def _retitle(text: str, old: Sequence[str], new: Sequence[str]) -> str:
    """The leading comment block with the source's region name and code replaced by the new
    region's (it names the file's region); every other comment stays as written."""
    body = len(text) - len(text.lstrip("\ufeff"))
    end = body
    for line in text[body:].splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        end += len(line)
    pairs = {o: n for o, n in zip(old, new) if o}
    if not pairs or end == body:
        return text
    words = re.compile(r"(?<![A-Za-z0-9-])(" + "|".join(
        re.escape(o) for o in sorted(pairs, key=len, reverse=True)) + r")(?![A-Za-z0-9-])")
    return text[:body] + words.sub(lambda m: pairs[m[1]], text[body:end]) + text[end:]


def new_variables_text(text: str, src: Variables, src_name: str | None, region: str,
                       cloud_region: str, zones: Sequence[str], vpc: ipaddress.IPv4Network | None,
                       state_key: str) -> str:
    """*text* (the source file) with the region-specific values of the new region spliced in."""
    name = src.path
    text = yaml_splice.set_scalar(text, ("state_key",), state_key, name)
    if yaml_splice.get_value(text, ("region", "name"), name) is not None:
        text = yaml_splice.set_scalar(text, ("region", "name"), region, name)
    text = yaml_splice.set_scalar(text, ("region", "cloud_region"), cloud_region, name)
    # Item by item, so each item keeps its quotes and its own comment.
    for i, zone in enumerate(zones):
        text = yaml_splice.set_scalar(text, ("region", "availability_zones", i), zone, name)
    if src.vpc is not None and vpc is not None:
        text = yaml_splice.set_scalar(text, ("network", "vpc_cidr"), str(vpc), name)
        for key, nets in (("public_subnets", src.public), ("private_subnets", src.private)):
            for i, net in enumerate(regions.move_subnets(nets, src.vpc, vpc)):
                text = yaml_splice.set_scalar(text, ("network", key, i), str(net), name)
    return _retitle(text, [src_name or "", src.cloud_region or ""], [region, cloud_region])
