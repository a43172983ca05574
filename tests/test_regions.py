from __future__ import annotations

import ipaddress

import pytest

from migrate.errors import Refused
from migrate.regions import (
    allocate_vpc,
    availability_zones,
    move_subnets,
    parse_network,
    region_file,
    region_of_file,
    region_state_key,
    resolve_cloud_region,
    trigger_file,
    validate_region_name,
)

N = ipaddress.IPv4Network
CATALOG = {"us-east": "us-east-1", "eu-west": "eu-west-1", "ap-south": "ap-south-1"}


@pytest.mark.parametrize("name", ["eu-west", "ap-south", "us-east-2", "x", "eu-central-1a"])
def test_valid_region_names_are_accepted(name: str) -> None:
    assert validate_region_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "../x", "EU West", "eu west", "Eu-west", "EU-WEST", "eu/west", "eu_west", "-eu",
     "eu-", "eu--west", "1eu", "eu.west", "eu-west\n", "a" * 41, "${{ x }}"],
)
def test_invalid_region_names_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(Refused) as exc:
        validate_region_name(name)
    assert "lowercase name of letters, digits and single dashes" in str(exc.value)


def test_cloud_region_comes_from_the_catalog() -> None:
    assert resolve_cloud_region("eu-west", CATALOG, None) == "eu-west-1"


def test_cloud_region_option_wins_over_the_catalog() -> None:
    assert resolve_cloud_region("eu-west", CATALOG, "eu-west-2") == "eu-west-2"
    assert resolve_cloud_region("nordics", CATALOG, "eu-north-1") == "eu-north-1"


def test_unknown_region_without_option_is_refused_naming_the_option() -> None:
    with pytest.raises(Refused) as exc:
        resolve_cloud_region("nordics", CATALOG, None)
    assert exc.value.problem.startswith("the region 'nordics' is not in the suite's region catalog")
    assert "eu-west (eu-west-1)" in exc.value.problem
    assert "--cloud-region" in (exc.value.fix or "")


@pytest.mark.parametrize("code", ["EU-WEST-1", "eu-west", "eu west 1", "../1", ""])
def test_malformed_cloud_region_option_is_refused(code: str) -> None:
    with pytest.raises(Refused, match="is not a cloud region code"):
        resolve_cloud_region("eu-west", CATALOG, code)


def test_zones_keep_the_source_zone_letters() -> None:
    assert availability_zones("eu-west-1", ["us-east-1a", "us-east-1c"], "us-east-1") == [
        "eu-west-1a", "eu-west-1c"]


def test_zones_not_named_after_the_source_region_are_lettered_in_order() -> None:
    assert availability_zones("eu-west-1", ["zone-one", "zone-two", "zone-3"], "us-east-1") == [
        "eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert availability_zones("eu-west-1", [], None) == ["eu-west-1a"]


def test_vpc_allocation_takes_the_lowest_free_range_of_the_same_size() -> None:
    taken = [N("10.0.0.0/16"), N("10.1.0.0/16"), N("10.3.0.0/16")]
    assert allocate_vpc(N("10.0.0.0/16"), taken) == N("10.2.0.0/16")


def test_vpc_allocation_skips_ranges_that_overlap_partially() -> None:
    taken = [N("10.0.0.0/16"), N("10.1.128.0/20"), N("10.2.0.0/15")]
    assert allocate_vpc(N("10.0.0.0/16"), taken) == N("10.4.0.0/16")


def test_vpc_allocation_stays_in_the_private_block_of_the_source() -> None:
    assert allocate_vpc(N("172.16.0.0/16"), [N("172.16.0.0/16")]) == N("172.17.0.0/16")
    assert allocate_vpc(N("192.168.0.0/20"), [N("192.168.0.0/20")]) == N("192.168.16.0/20")


def test_vpc_allocation_refuses_when_the_block_is_full() -> None:
    with pytest.raises(Refused, match=r"no free /16 range is left in 192\.168\.0\.0/16"):
        allocate_vpc(N("192.168.0.0/16"), [N("192.168.0.0/16")])


def test_subnets_move_to_the_same_offsets_in_the_new_range() -> None:
    subnets = [N("10.0.0.0/24"), N("10.0.1.0/24"), N("10.0.128.0/20")]
    moved = move_subnets(subnets, N("10.0.0.0/16"), N("10.7.0.0/16"))
    assert moved == [N("10.7.0.0/24"), N("10.7.1.0/24"), N("10.7.128.0/20")]


def test_subnet_outside_the_source_range_is_refused() -> None:
    with pytest.raises(Refused, match="not inside the source's vpc_cidr"):
        move_subnets([N("10.9.0.0/24")], N("10.0.0.0/16"), N("10.7.0.0/16"))


@pytest.mark.parametrize("value", ["10.0.0.1/16", "10.0.0.0/33", "banana", None, 16])
def test_bad_network_values_are_refused_naming_where(value: object) -> None:
    with pytest.raises(Refused, match="infra/x.yml network.vpc_cidr is"):
        parse_network(value, "infra/x.yml network.vpc_cidr")


def test_state_key_replaces_the_trailing_cloud_region() -> None:
    assert region_state_key("acme/us-east-1", "us-east-1", "acme", "eu-west-1") == "acme/eu-west-1"
    assert region_state_key("ops/acme/us-east-1", "us-east-1", "acme", "eu-west-1") == (
        "ops/acme/eu-west-1")


def test_state_key_without_a_region_part_becomes_customer_slash_region() -> None:
    assert region_state_key("acme/acme-app", "us-east-1", "acme", "eu-west-1") == "acme/eu-west-1"
    assert region_state_key("us-east-1", "us-east-1", "acme", "eu-west-1") == "acme/eu-west-1"
    assert region_state_key("acme/x-us-east-1", "us-east-1", "acme", "eu-west-1") == (
        "acme/eu-west-1")
    assert region_state_key("acme/app", None, "acme", "eu-west-1") == "acme/eu-west-1"


def test_region_paths_round_trip() -> None:
    assert region_file("eu-west") == "infra/eu-west-variables.yml"
    assert trigger_file("eu-west") == ".github/workflows/trigger-infra-eu-west.yml"
    assert region_of_file("infra/eu-west-variables.yml") == "eu-west"
    assert region_of_file("infra/variables.yml") is None
    assert region_of_file("infra/api-vars.yml") is None
    assert region_of_file("infra/sub/eu-west-variables.yml") is None


def test_vpc_allocation_takes_the_preferred_range_when_it_is_free() -> None:
    taken = [N("10.10.0.0/16")]
    assert allocate_vpc(N("10.10.0.0/16"), taken, preferred=N("10.30.0.0/16")) == N("10.30.0.0/16")


def test_vpc_allocation_ignores_a_preferred_range_that_is_taken() -> None:
    taken = [N("10.10.0.0/16"), N("10.30.0.0/17")]
    assert allocate_vpc(N("10.10.0.0/16"), taken, preferred=N("10.30.0.0/16")) == N("10.0.0.0/16")


def test_vpc_allocation_keeps_reserved_ranges_free_while_it_can() -> None:
    taken = [N("10.10.0.0/16")]
    reserved = [N("10.0.0.0/16"), N("10.1.0.0/16")]
    assert allocate_vpc(N("10.10.0.0/16"), taken, reserved=reserved) == N("10.2.0.0/16")
    full = [N("10.0.0.0/8")]
    assert allocate_vpc(N("10.0.0.0/16"), [N("10.0.0.0/9")], reserved=full) == N("10.128.0.0/16")
