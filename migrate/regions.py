"""Regions: names, cloud region codes, availability zones, network ranges and state addresses.

Pure functions over values; the add-region plan (migrate/commands/add_region.py) reads the
repository and splices the results into text. The table of known short names is not kept here:
it lives only in the suite's copier.yml (`region_catalog`) and is passed in.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence

from migrate import contract
from migrate.errors import Refused

# A region name becomes part of file names, workflow names and concurrency groups, so it is a
# lowercase slug: no path separators, no spaces, no uppercase (`../x`, `EU West` are refused).
REGION_NAME_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
REGION_NAME_MAX = 40
# Cloud region codes as the providers spell them: us-east-1, ap-southeast-2, us-gov-west-1.
CLOUD_REGION_RE = re.compile(r"[a-z]{2}(?:-[a-z0-9]+)+-[0-9]+")
# A region file is infra/<region>-variables.yml; infra/variables.yml is the shared/single one.
REGION_FILE_RE = re.compile(r"infra/(?P<region>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)-variables\.yml")

IPv4Net = ipaddress.IPv4Network
# Where a new range is looked for: the private block (RFC 1918) holding the source's range.
_PRIVATE_BLOCKS = tuple(
    ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


def region_file(region: str) -> str:
    """The variables file of *region*, relative to the repository root."""
    return f"infra/{region}-variables.yml"


def trigger_file(region: str) -> str:
    """The trigger workflow of *region*, relative to the repository root."""
    return f"{contract.WORKFLOWS_DIR}/{contract.TRIGGER_PREFIX}-{region}.yml"


def region_of_file(relpath: str) -> str | None:
    """The region a path names if it is a region variables file, else None."""
    match = REGION_FILE_RE.fullmatch(relpath)
    return match["region"] if match else None


def validate_region_name(name: str) -> str:
    """Return *name* if it is a valid region name; else refuse, saying what a valid one is."""
    fix = (
        "use a lowercase name of letters, digits and single dashes that starts with a letter, "
        "such as eu-west or ap-south"
    )
    if not name:
        raise Refused("the region name is empty", fix)
    if len(name) > REGION_NAME_MAX:
        raise Refused(f"the region name {name!r} is longer than {REGION_NAME_MAX} characters", fix)
    if not REGION_NAME_RE.fullmatch(name):
        raise Refused(f"{name!r} is not a valid region name", fix)
    return name


def resolve_cloud_region(region: str, catalog: Mapping[str, str], override: str | None) -> str:
    """The cloud region code of *region*: --cloud-region if given, else the catalog's entry."""
    if override is not None:
        if not CLOUD_REGION_RE.fullmatch(override):
            raise Refused(
                f"--cloud-region {override!r} is not a cloud region code",
                "give a code such as eu-west-1 or ap-southeast-2 (lowercase, ending in a number)",
            )
        return override
    if region in catalog:
        return catalog[region]
    known = ", ".join(f"{k} ({v})" for k, v in sorted(catalog.items())) or "none"
    raise Refused(
        f"the region {region!r} is not in the suite's region catalog, so its cloud region "
        f"code is unknown (known: {known})",
        f"pass --cloud-region CODE, for example: add-region {region} --cloud-region eu-north-1",
    )


def availability_zones(
    cloud_region: str, source_zones: Sequence[str], source_cloud_region: str | None
) -> list[str]:
    """Zones for *cloud_region*, as many as the source has, keeping its zone letters if it can.

    A source using us-east-1a and us-east-1c gives <new>a and <new>c; zones not named after the
    source's cloud region give <new>a, <new>b, ... in order.
    """
    if source_zones and source_cloud_region and all(
        z.startswith(source_cloud_region) and len(z) > len(source_cloud_region)
        for z in source_zones
    ):
        return [cloud_region + z[len(source_cloud_region):] for z in source_zones]
    return [cloud_region + chr(ord("a") + i) for i in range(len(source_zones) or 1)]


def parse_network(value: object, where: str) -> IPv4Net:
    """*value* as an IPv4 network, or a refusal naming the file and key it came from."""
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise Refused(
            f"{where} is {value!r}, which is not an IPv4 network range ({exc})",
            "fix the range in that file (for example 10.0.0.0/16), commit, and run again",
        ) from exc


def allocate_vpc(
    source: IPv4Net,
    taken: Iterable[IPv4Net],
    preferred: IPv4Net | None = None,
    reserved: Iterable[IPv4Net] = (),
) -> IPv4Net:
    """A range of *source*'s size overlapping none *taken*: *preferred* if free, else the lowest.

    The lowest is looked for in the private block holding *source*, first also avoiding
    *reserved* ranges (the catalog's ranges of other regions, kept free for them).
    """
    taken = list(taken)
    if preferred is not None and not any(preferred.overlaps(t) for t in taken):
        return preferred
    block = next((b for b in _PRIVATE_BLOCKS if source.subnet_of(b)), None)
    if block is None:
        # A public range is the customer's own allocation; continue inside the source's /8.
        block = source.supernet(new_prefix=min(8, source.prefixlen))
    for avoid in (taken + list(reserved), taken):
        for candidate in block.subnets(new_prefix=source.prefixlen):
            if not any(candidate.overlaps(t) for t in avoid):
                return candidate
    raise Refused(
        f"no free /{source.prefixlen} range is left in {block} next to the existing regions'",
        "free a range in an existing region's variables file, or give the source region a "
        "smaller network, then run again",
    )


def move_subnets(subnets: Sequence[IPv4Net], old_vpc: IPv4Net, new_vpc: IPv4Net) -> list[IPv4Net]:
    """*subnets* of *old_vpc* at the same offsets and sizes inside *new_vpc*."""
    moved = []
    for subnet in subnets:
        if not subnet.subnet_of(old_vpc):
            raise Refused(
                f"the subnet {subnet} is not inside the source's vpc_cidr {old_vpc}",
                "fix the source region's network section so every subnet is inside vpc_cidr",
            )
        offset = int(subnet.network_address) - int(old_vpc.network_address)
        moved.append(ipaddress.IPv4Network((int(new_vpc.network_address) + offset, subnet.prefixlen)))
    return moved


_STATE_KEY_RE = re.compile(r"[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)*")


def validate_state_key(key: str) -> str:
    """*key* when it is a state address the suite would accept (as copier.yml's validator)."""
    if not _STATE_KEY_RE.fullmatch(key) or ".." in key:
        raise Refused(f"--state-key {key!r} is not a state address",
                      "use lowercase path segments of a-z, 0-9, '.', '_' and '-' separated by single "
                      "'/' (e.g. acme/acme-platform/eu-west-1)")
    return key


def region_state_key(
    source_key: str, source_cloud_region: str | None, customer_id: str, cloud_region: str
) -> str:
    """The state address of a new region: the source's with its cloud region part replaced.

    Per-region layout is <customer>/<cloud-region> (environments below it); a source key that
    does not end in its cloud region (a monorepo's <customer>/<repo>) gives <customer>/<cloud-region>.
    """
    suffix = f"/{source_cloud_region}" if source_cloud_region else None
    if suffix and source_key.endswith(suffix) and len(source_key) > len(suffix):
        return source_key[: -len(suffix)] + "/" + cloud_region
    return f"{customer_id}/{cloud_region}"
