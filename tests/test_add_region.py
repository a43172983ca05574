"""add-region: golden bytes of the plan, refusals, the CLI on real repositories, and real Copier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate import suite
from migrate.commands.add_region import (
    CatalogEntry,
    RegionPlan,
    catalog_entries,
    plan_add_region,
    verify,
)
from migrate.commands.add_region import Settings as AddRegionSettings
from migrate.errors import Refused, VerificationFailed
from migrate.plan import FileWrite
from migrate.routing import check_trigger_routing, trigger_routing
from tests import checkers
from tests.helpers import commit_all, git, make_repo, repo_state
from tests.suite_fixtures import (
    case_answers,
    copier_update_cleanly,
    generate,
    make_suite_repo,
    release_suite_v2,
    tree,
)

GOLDEN = Path(__file__).parent / "golden" / "add_region"
# (input repository, scenario): settings. Expected outputs are the files under <input>/<scenario>/.
SCENARIOS: dict[tuple[str, str], dict[str, Any]] = {
    ("handmade", "us-west-from-us-east"): {"region": "us-west", "from_region": "us-east"},
    ("handmade", "ap-south-default-source"): {"region": "ap-south"},
    ("monorepo", "eu-west"): {"region": "eu-west"},
}


@pytest.fixture(scope="module")
def catalog() -> dict[str, CatalogEntry]:
    return catalog_entries(suite.read_region_catalog())


def plan_for(case: str, catalog: dict[str, CatalogEntry], extra: dict[str, bytes] | None = None,
             **settings: Any) -> RegionPlan:
    files = {**tree(GOLDEN / case / "input"), **(extra or {})}
    return plan_add_region(files, AddRegionSettings(Path("."), **settings), catalog)


def writes(planned: RegionPlan) -> dict[str, bytes]:
    return {c.path: c.new for c in planned.plan.changes if isinstance(c, FileWrite)}


# --- the plan: golden bytes ----------------------------------------------------------------

@pytest.mark.parametrize(("case", "scenario"), list(SCENARIOS))
def test_add_region_plan_matches_golden_bytes(case: str, scenario: str, catalog) -> None:
    plan = plan_for(case, catalog, **SCENARIOS[case, scenario])
    assert writes(plan) == tree(GOLDEN / case / scenario)


def test_add_region_keeps_crlf_bom_quotes_comments_and_missing_final_newline(catalog) -> None:
    new = writes(plan_for("handmade", catalog, region="us-west", from_region="us-east"))
    data = new["infra/us-west-variables.yml"]
    source = (GOLDEN / "handmade/input/infra/us-east-variables.yml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data.endswith(b"\n")
    assert data.count(b"\r\n") == source.count(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    changed = [(a, b) for a, b in zip(source.split(b"\r\n"), data.split(b"\r\n")) if a != b]
    # Only region-specific values change; everything else, comments included, stays.
    assert changed == [
        (b"# Region us-east (us-east-1) of acme.  ", b"# Region us-west (us-west-2) of acme.  "),
        (b"state_key: 'acme/us-east-1'", b"state_key: 'acme/us-west-2'"),
        (b"    name: us-east", b"    name: us-west"),
        (b'    cloud_region: "us-east-1"   # primary', b'    cloud_region: "us-west-2"   # primary'),
        (b"    - us-east-1a  # first", b"    - us-west-2a  # first"),
        (b"    - us-east-1c", b"    - us-west-2c"),
        (b"    vpc_cidr: 10.10.0.0/16", b"    vpc_cidr: 10.20.0.0/16"),
        (b"    public_subnets: [ 10.10.0.0/24, 10.10.1.0/24 ]",
         b"    public_subnets: [ 10.20.0.0/24, 10.20.1.0/24 ]"),
        (b'      - "10.10.16.0/20"   # app', b'      - "10.20.16.0/20"   # app'),
        (b"      - 10.10.32.0/20", b"      - 10.20.32.0/20"),
    ]


def test_add_region_never_edits_an_existing_variables_file(catalog) -> None:
    for case, scenario in SCENARIOS:
        plan = plan_for(case, catalog, **SCENARIOS[case, scenario])
        edited = [c.path for c in plan.plan.changes if c.kind != "create"]
        assert not [p for p in edited if p.startswith("infra/")]


def test_existing_triggers_already_filtered_to_their_file_are_left_alone(catalog) -> None:
    plan = plan_for("handmade", catalog, region="us-west")
    assert [c.kind for c in plan.plan.changes] == ["create", "create"]


def test_monorepo_trigger_stops_firing_for_the_new_file(catalog) -> None:
    new = writes(plan_for("monorepo", catalog, region="eu-west"))
    assert new[".github/workflows/trigger-infra.yml"].decode().splitlines()[6:12] == [
        "        paths:",
        "            - infra/**   # everything under infra",
        "            - '!infra/eu-west-variables.yml'",
        "            - '!infra/README.md'",
        "    pull_request:",
        "        paths: [ infra/**, '!infra/eu-west-variables.yml' ]",
    ]


def test_region_outside_the_catalog_takes_cloud_region_and_a_range_no_region_claims(catalog) -> None:
    plan = plan_for("monorepo", catalog, region="nordics", cloud_region="eu-north-1")
    facts = plan.details()
    assert facts["cloud_region"] == "eu-north-1"
    assert facts["state_key"] == "acme/eu-north-1"
    assert facts["availability_zones"] == ["eu-north-1a", "eu-north-1b", "eu-north-1c"]
    # 10.0.0.0/16 is the monorepo's; 10.10-10.90 are the catalog regions' own.
    assert facts["vpc_cidr"] == "10.1.0.0/16"
    text = writes(plan)["infra/nordics-variables.yml"].decode()
    assert "  - 10.1.64.0/18\n  - 10.1.128.0/18\n  - 10.1.192.0/18\n" in text


def test_catalog_range_already_used_by_a_region_is_not_reused(catalog) -> None:
    taken = (GOLDEN / "handmade/input/infra/eu-west-variables.yml").read_bytes().replace(
        b"10.30.", b"10.20.").replace(b"eu-west", b"us-north")
    plan = plan_for("handmade", catalog, {"infra/us-north-variables.yml": taken}, region="us-west")
    assert plan.vpc_cidr == "10.0.0.0/16"


def test_cloud_region_option_overrides_the_catalog(catalog) -> None:
    plan = plan_for("handmade", catalog, region="us-west", cloud_region="us-west-1",
                    from_region="us-east")
    facts = plan.details()
    assert (facts["cloud_region"], facts["state_key"]) == ("us-west-1", "acme/us-west-1")
    assert facts["availability_zones"] == ["us-west-1a", "us-west-1c"]


ANSWERS = (
    "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
    "_commit: v1\n_src_path: /nowhere\ncustomer_id: acme\npattern: {pattern}\n"
    "regions:\n- us-east\n- eu-west\nstate_key: acme\n"
)


def test_multi_region_answers_record_the_new_region(catalog) -> None:
    answers = ANSWERS.format(pattern="multi-region").encode()
    plan = plan_for("handmade", catalog, {".copier-answers.yml": answers}, region="us-west")
    assert writes(plan)[".copier-answers.yml"] == answers.replace(
        b"- eu-west\n", b"- eu-west\n- us-west\n")
    assert [(a.key, a.old, a.new) for a in plan.plan.answers] == [
        ("regions", ["us-east", "eu-west"], ["us-east", "eu-west", "us-west"])]


def test_region_outside_the_catalog_is_not_written_to_the_answers(catalog) -> None:
    answers = ANSWERS.format(pattern="multi-region").encode()
    plan = plan_for("handmade", catalog, {".copier-answers.yml": answers}, region="nordics",
                    cloud_region="eu-north-1")
    assert ".copier-answers.yml" not in writes(plan)
    assert any("not in the suite's region catalog" in n.text for n in plan.plan.notes)


def test_monorepo_answers_listing_the_region_do_not_make_it_exist(catalog) -> None:
    answers = ANSWERS.format(pattern="monorepo").encode()
    plan = plan_for("monorepo", catalog, {".copier-answers.yml": answers}, region="eu-west")
    assert ".copier-answers.yml" not in writes(plan)  # already listed: nothing to record


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"region": "us-east"}, "the region us-east already exists"),
        ({"region": "eu-west"}, "the region eu-west already exists"),
        ({"region": "../x"}, "'../x' is not a valid region name"),
        ({"region": "EU West"}, "'EU West' is not a valid region name"),
        ({"region": "EU"}, "'EU' is not a valid region name"),
        ({"region": ""}, "the region name is empty"),
        ({"region": "nordics"}, "not in the suite's region catalog"),
        ({"region": "us-west", "from_region": "ap-south"}, "--from ap-south: there is no"),
        ({"region": "us-west", "cloud_region": "US-WEST-2"}, "is not a cloud region code"),
        ({"region": "us-west", "cloud_region": "eu-west-1"},
         "the region us-west already exists: infra/eu-west-variables.yml deploys region eu-west "
         "in eu-west-1 (the cloud region of us-west)"),
    ],
)
def test_add_region_refuses(settings: dict[str, Any], message: str, catalog) -> None:
    with pytest.raises(Refused) as exc:
        plan_for("handmade", catalog, **settings)
    assert message in str(exc.value)
    assert exc.value.fix


def test_a_region_whose_trigger_exists_is_refused(catalog) -> None:
    with pytest.raises(Refused, match="the region us-west already exists"):
        plan_for("monorepo", catalog, {".github/workflows/trigger-infra-us-west.yml": b"on: push\n"},
                 region="us-west")


def test_a_repository_without_variables_is_refused(catalog) -> None:
    with pytest.raises(Refused, match="found no variables file to copy"):
        plan_add_region({"README.md": b"x\n"}, AddRegionSettings(Path("."), "eu-west"), catalog)


# --- the command on real repositories --------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "handmade", tree(GOLDEN / "handmade" / "input"))


@pytest.mark.parametrize("region", ["us-east", "../x", "EU West", "", "EU", "nordics"])
def test_cli_refusal_exits_3_and_changes_nothing(handmade: Path, region: str) -> None:
    before = repo_state(handmade)
    out = run_cli("add-region", region, "--repo", str(handmade))
    assert out.returncode == 3, out.stderr
    assert out.stderr.startswith("repo-migrate: error: ") and "fix: " in out.stderr
    assert "Traceback" not in out.stderr
    assert repo_state(handmade) == before


def test_cli_dry_run_prints_the_plan_and_changes_nothing(handmade: Path) -> None:
    before = repo_state(handmade)
    out = run_cli("add-region", "us-west", "--from", "us-east", "--repo", str(handmade), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "create  infra/us-west-variables.yml" in out.stdout
    assert "+    vpc_cidr: 10.20.0.0/16\u240d" in out.stdout
    assert out.stdout.endswith("Dry run: nothing was changed.\n")
    assert repo_state(handmade) == before


def test_cli_commits_the_result_on_a_new_branch_only(handmade: Path) -> None:
    before = repo_state(handmade)
    out = run_cli("add-region", "us-west", "--from", "us-east", "--repo", str(handmade), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["status"], result["branch"]) == ("applied", "repo-migrate/add-region-us-west")
    after = repo_state(handmade)
    assert {k: v for k, v in after.items() if k != "refs"} == {
        k: v for k, v in before.items() if k != "refs"}
    branch = "repo-migrate/add-region-us-west"
    assert git(handmade, "rev-parse", f"{branch}^") == git(handmade, "rev-parse", "HEAD")
    expected = tree(GOLDEN / "handmade" / "us-west-from-us-east")
    assert git(handmade, "diff", "--name-only", "HEAD", branch).split() == sorted(expected)
    for path, data in expected.items():
        shown = subprocess.run(["git", "-C", str(handmade), "show", f"{branch}:{path}"],
                               capture_output=True, check=True).stdout
        assert shown == data


def test_cli_refuses_an_existing_result_branch(handmade: Path) -> None:
    git(handmade, "branch", "repo-migrate/add-region-us-west")
    before = repo_state(handmade)
    out = run_cli("add-region", "us-west", "--repo", str(handmade))
    assert out.returncode == 3 and "already exists" in out.stderr
    assert repo_state(handmade) == before


def test_cli_refuses_uncommitted_infra_changes(handmade: Path) -> None:
    (handmade / "infra" / "eu-west-variables.yml").write_text("customer_id: acme\n")
    before = repo_state(handmade)
    out = run_cli("add-region", "us-west", "--repo", str(handmade))
    assert out.returncode == 3 and "uncommitted changes" in out.stderr
    assert repo_state(handmade) == before


# --- with the real suite and real Copier ------------------------------------------------------

def _copy(src: Path, dest: Path, **answers: Any) -> Path:
    return generate(src, dest, {"customer_id": "acme", **answers}, vcs_ref="v1")


def _committed(repo: Path) -> Path:
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    return repo


def _show(repo: Path, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{path}"],
                          capture_output=True, check=True).stdout


def test_add_region_gives_what_copier_copy_gives_with_the_region(suite_repo: Path,
                                                                 tmp_path: Path) -> None:
    repo = _committed(_copy(suite_repo, tmp_path / "repo", pattern="multi-region",
                            regions=["us-east", "eu-west"]))
    out = run_cli("add-region", "ap-south", "--repo", str(repo))
    assert out.returncode == 0, out.stderr
    fresh = tree(_copy(suite_repo, tmp_path / "fresh", pattern="multi-region",
                       regions=["us-east", "eu-west", "ap-south"]))
    git(repo, "checkout", "-q", "repo-migrate/add-region-ap-south")
    assert tree(repo) == fresh


@pytest.mark.parametrize("pattern", ["multi-region", "monorepo"])
def test_copier_update_after_add_region_keeps_the_region_files(pattern: str, tmp_path: Path) -> None:
    suite_repo = make_suite_repo(tmp_path / "suite")  # its own: this test tags a v2
    repo = _committed(_copy(suite_repo, tmp_path / "repo", pattern=pattern))
    # The customer's own edits in the source region: a comment and a value.
    source = repo / ("infra/us-east-variables.yml" if pattern == "multi-region" else "infra/variables.yml")
    source.write_bytes(source.read_bytes().replace(
        b"  min_instances: 2\n", b"  min_instances: 5  # Black Friday\n"))
    commit_all(repo, "scale us-east")
    out = run_cli("add-region", "us-west", "--repo", str(repo))
    assert out.returncode == 0, out.stderr
    git(repo, "merge", "-q", "--ff-only", "repo-migrate/add-region-us-west")
    before = tree(repo)
    assert b"  min_instances: 5  # Black Friday\n" in before[NEW_VARS]
    release_suite_v2(suite_repo)
    after = copier_update_cleanly(repo)
    assert after[NEW_VARS] == before[NEW_VARS]
    assert after["README.md"].endswith(b"Suite v2.\n")
    assert b"- us-west\n" in after[".copier-answers.yml"]
    made = b"# Made by the provider"
    if pattern == "multi-region":  # the new region's trigger is the template's: it updates too
        assert after[NEW_TRIGGER] == before[NEW_TRIGGER].replace(b"# Generated by the provider", made)
    else:  # not a file of the monorepo template: left as it is; the old trigger keeps excluding it
        assert after[NEW_TRIGGER] == before[NEW_TRIGGER]
        old_trigger = after[".github/workflows/trigger-infra.yml"]
        assert made in old_trigger and b"      - '!infra/us-west-variables.yml'\n" in old_trigger
    changed = sorted(p for p in after if after[p] != before.get(p))
    assert all(p.endswith((".yml", ".md")) for p in changed) and NEW_VARS not in changed


SUITE_CASES = ("monorepo", "multi-service")
NEW_VARS, NEW_TRIGGER = "infra/us-west-variables.yml", ".github/workflows/trigger-infra-us-west.yml"


@pytest.fixture(scope="module")
def added(suite_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`add-region us-west` in a generated repository of each pattern with one variables file:
    the CLI's result, the user's repository state before and after, and a checkout of the result."""
    results: dict[str, Any] = {}
    for case in SUITE_CASES:
        tmp = tmp_path_factory.mktemp(case)
        repo = _committed(generate(suite_repo, tmp / "repo", case_answers(case), vcs_ref="v1"))
        before = repo_state(repo)
        out = run_cli("add-region", "us-west", "--repo", str(repo))
        work = tmp / "work"
        if out.returncode == 0:
            git(tmp, "clone", "-q", "-b", "repo-migrate/add-region-us-west", str(repo), str(work))
        results[case] = {"repo": repo, "out": out, "before": before, "after": repo_state(repo),
                         "work": work}
    return results


@pytest.mark.parametrize("case", SUITE_CASES)
def test_add_region_to_a_suite_repository_leaves_only_a_branch(case: str, added) -> None:
    r = added[case]
    assert r["out"].returncode == 0, r["out"].stderr
    assert {k: v for k, v in r["after"].items() if k != "refs"} == {
        k: v for k, v in r["before"].items() if k != "refs"}
    assert r["after"]["refs"].count("\n") == r["before"]["refs"].count("\n") + 1
    work = r["work"]
    assert _show(r["repo"], "HEAD", "infra/variables.yml") == (work / "infra/variables.yml").read_bytes()
    text = (work / NEW_VARS).read_text()
    assert "state_key: acme/us-west-2\n" in text and "  vpc_cidr: 10.20.0.0/16\n" in text


@pytest.mark.parametrize("case", SUITE_CASES)
def test_add_region_to_a_suite_repository_dispatches_each_file_once(case: str, added) -> None:
    work = added[case]["work"]
    # Each variables file runs exactly one trigger workflow: no double dispatch.
    check_trigger_routing(work, sorted(p.relative_to(work).as_posix()
                                       for p in (work / "infra").glob("*.yml")))
    assert trigger_routing(work, [NEW_VARS]) == {NEW_VARS: [NEW_TRIGGER]}


def test_add_region_results_pass_the_checkers(added) -> None:
    works = [added[case]["work"] for case in SUITE_CASES]
    workflows = [p for w in works for p in sorted((w / ".github/workflows").glob("trigger-infra*.yml"))]
    assert len(workflows) == 2 * len(SUITE_CASES)
    assert checkers.actionlint(workflows) == []
    assert checkers.zizmor(workflows) == []
    assert checkers.check_jsonschema(workflows) == []
    for work in works:
        assert checkers.check_schemafile([work / NEW_VARS], work / "infra/variables.schema.json") == []


def test_trigger_copied_without_the_suite_equals_the_template_for_that_region(
        plain_suite: Path, tmp_path: Path, catalog) -> None:
    # Without rendering (render=None), the source region's trigger is copied and spliced; for a
    # suite-made repository that must give exactly what the template renders for the region.
    regions = ["us-east", "eu-west"]
    repo = generate(plain_suite, tmp_path / "a", case_answers("multi-region", regions=regions))
    fresh = generate(plain_suite, tmp_path / "b",
                     case_answers("multi-region", regions=[*regions, "us-west"]))
    plan = plan_add_region(tree(repo), AddRegionSettings(Path("."), "us-west"), catalog)
    assert plan.trigger_from == ".github/workflows/trigger-infra-us-east.yml"
    new = writes(plan)
    assert sorted(new) == [".copier-answers.yml", NEW_TRIGGER, NEW_VARS]
    assert new == {path: (fresh / path).read_bytes() for path in new}


def test_region_outside_the_catalog_in_a_suite_repository_copies_the_trigger(
        plain_suite: Path, tmp_path: Path, catalog) -> None:
    repo = generate(plain_suite, tmp_path / "a", case_answers("multi-region"))
    plan = plan_add_region(tree(repo), AddRegionSettings(Path("."), "nordics",
                                                         cloud_region="eu-north-1"), catalog)
    new = writes(plan)
    assert sorted(new) == [".github/workflows/trigger-infra-nordics.yml",
                           "infra/nordics-variables.yml"]
    trigger = new[".github/workflows/trigger-infra-nordics.yml"].decode()
    source = (repo / ".github/workflows/trigger-infra-us-east.yml").read_text()
    assert trigger == (source.replace("infra/us-east-variables.yml", "infra/nordics-variables.yml")
                       .replace("acme/us-east-1", "acme/eu-north-1").replace("us-east", "nordics"))
    assert plan.vpc_cidr == "10.0.0.0/16"  # the catalog's ranges stay free
    assert any("not in the suite's region catalog" in n.text for n in plan.plan.notes)


def test_post_conditions_catch_a_changed_state_key_or_an_unplanned_edit(
        catalog, tmp_path: Path) -> None:
    plan = plan_for("handmade", catalog, region="us-west", from_region="us-east")
    before = {p: d for p, d in tree(GOLDEN / "handmade/input").items() if p.startswith("infra/")}
    good = {**tree(GOLDEN / "handmade/input"), **writes(plan)}

    def scratch(name: str, files: dict[str, bytes]) -> tuple[Path, str]:
        repo = make_repo(tmp_path / name, files)  # type: ignore[arg-type]
        return repo, git(repo, "rev-parse", "HEAD").strip()

    verify(plan, before, *scratch("good", good))
    moved = good["infra/eu-west-variables.yml"].replace(b"acme/eu-west-1", b"acme/eu-west-9")
    with pytest.raises(VerificationFailed, match="infra/eu-west-variables.yml: state_key changed"):
        verify(plan, before, *scratch("moved", {**good, "infra/eu-west-variables.yml": moved}))
    touched = good["infra/eu-west-variables.yml"] + b"# touched\n"
    with pytest.raises(VerificationFailed, match="changed, though the plan does not write it"):
        verify(plan, before, *scratch("touched", {**good, "infra/eu-west-variables.yml": touched}))
    double = good[".github/workflows/trigger-infra-eu-west.yml"].replace(
        b"infra/eu-west-variables.yml", b"infra/*-variables.yml")
    with pytest.raises(VerificationFailed,
                       match="dispatches it from 2 trigger workflows .*trigger-infra-eu-west.yml"):
        verify(plan, {}, *scratch("double", {
            **good, ".github/workflows/trigger-infra-eu-west.yml": double}))


def test_cli_json_dry_run_lists_the_writes_and_changes_nothing(handmade: Path) -> None:
    before = repo_state(handmade)
    out = run_cli("add-region", "us-west", "--from", "us-east", "--repo", str(handmade),
                  "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["command"], result["status"]) == ("add-region", "planned")
    assert [(c["kind"], c["path"]) for c in result["changes"]] == [
        ("create", NEW_VARS), ("create", NEW_TRIGGER)]
    assert repo_state(handmade) == before


def test_a_second_region_in_a_monorepo_copies_the_main_file_again(catalog) -> None:
    files = {**tree(GOLDEN / "monorepo" / "input"), **tree(GOLDEN / "monorepo" / "eu-west")}
    plan = plan_add_region(files, AddRegionSettings(Path("."), "ap-south"), catalog)
    assert plan.source == "infra/variables.yml"
    assert plan.vpc_cidr == "10.50.0.0/16"
    new = writes(plan)
    assert sorted(new) == [".github/workflows/trigger-infra-ap-south.yml",
                           ".github/workflows/trigger-infra.yml", "infra/ap-south-variables.yml"]
    # Each exclusion goes right after the last pattern that lets the file through.
    assert b"            - infra/**   # everything under infra\n" \
           b"            - '!infra/ap-south-variables.yml'\n" \
           b"            - '!infra/eu-west-variables.yml'\n" in new[".github/workflows/trigger-infra.yml"]


def test_a_trigger_that_is_not_utf8_is_refused(catalog) -> None:
    with pytest.raises(Refused, match="trigger-infra.yml is not UTF-8 text"):
        plan_for("monorepo", catalog, {".github/workflows/trigger-infra.yml": b"on: push\n# \xff\n"},
                 region="eu-west")


def test_a_source_without_zones_or_network_gets_only_its_region_values(catalog) -> None:
    minimal = b"customer_id: acme\nstate_key: acme/app\nregion:\n  cloud_region: us-east-1\n"
    files = {"infra/variables.yml": minimal,
             ".github/workflows/trigger-infra.yml": b"on:\n  push:\n    paths: ['infra/**']\n"}
    plan = plan_add_region(files, AddRegionSettings(Path("."), "eu-west"), catalog)
    new = writes(plan)
    assert new["infra/eu-west-variables.yml"] == (
        b"customer_id: acme\nstate_key: acme/eu-west-1\nregion:\n  cloud_region: eu-west-1\n")
    assert new[".github/workflows/trigger-infra.yml"] == (
        b"on:\n  push:\n    paths: ['infra/**', '!infra/eu-west-variables.yml']\n")
    assert new[".github/workflows/trigger-infra-eu-west.yml"] == (
        b"on:\n  push:\n    paths: ['infra/eu-west-variables.yml']\n")


def test_custom_branch_name(handmade: Path) -> None:
    out = run_cli("add-region", "us-west", "--repo", str(handmade), "--branch", "regions/us-west")
    assert out.returncode == 0, out.stderr
    assert git(handmade, "branch", "--list", "--format=%(refname:short)").split() == [
        "main", "regions/us-west"]


def test_readme_edits_that_overlap_the_region_table_are_left_with_a_note(
        suite_repo: Path, tmp_path: Path) -> None:
    repo = _copy(suite_repo, tmp_path / "repo", pattern="multi-region", regions=["us-east", "eu-west"])
    readme = repo / "README.md"
    edited = readme.read_bytes().replace(b"| Variables of region eu-west (eu-west-1) |",
                                         b"| Ireland: our EU customers |")
    assert edited != readme.read_bytes()
    readme.write_bytes(edited)
    _committed(repo)
    out = run_cli("add-region", "ap-south", "--repo", str(repo), "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    paths = [c["path"] for c in result["changes"]]
    assert "README.md" not in paths and "infra/README.md" in paths
    assert any(n["text"].startswith("README.md: your edits overlap") for n in result["notes"])


def test_state_key_option_names_the_new_regions_state(catalog) -> None:
    # A monorepo's new region gets <customer>/<cloud-region> by default, which another repository
    # of the customer (a multi-region one) may already own: --state-key chooses the address.
    plan = plan_for("monorepo", catalog, region="eu-west", state_key="acme/acme-platform/eu-west-1")
    assert plan.state_key == "acme/acme-platform/eu-west-1"
    text = writes(plan)["infra/eu-west-variables.yml"].decode()
    assert "state_key: acme/acme-platform/eu-west-1   # set once\n" in text
    assert [n.text for n in plan.plan.notes if n.audience == "provider"] == [
        "infra/eu-west-variables.yml carries state_key acme/acme-platform/eu-west-1: a new Terraform "
        "state at the provider for eu-west-1; existing state_key values are unchanged"]


@pytest.mark.parametrize(("key", "problem"), [
    ("Acme/EU", "--state-key 'Acme/EU' is not a state address"),
    ("acme//x", "--state-key 'acme//x' is not a state address"),
    ("acme/../x", "--state-key 'acme/../x' is not a state address"),
    ("acme/acme-platform", "the new region's state_key acme/acme-platform is already used by "
                           "infra/variables.yml"),
])
def test_a_state_key_option_that_cannot_be_is_refused(key: str, problem: str, catalog) -> None:
    with pytest.raises(Refused) as exc:
        plan_for("monorepo", catalog, region="eu-west", state_key=key)
    assert exc.value.problem.startswith(problem)
    assert exc.value.fix
