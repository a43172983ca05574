"""register: the new text of customers/<id>.yml, spliced (comments, order, quoting, line ends
kept); keys never change; a key moves only when the migration record proves it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import contract
from migrate.errors import Refused
from migrate.migration_record import MigrationRecord, read_record
from migrate.registry import load_registry
from migrate.registry_edit import Registration, RepositoryFacts, register
from tests.monorepos import build_monorepo

ACME = """\
# acme: onboarded by the platform team
customer_id: acme
tier: standard        # upgraded? ask sales
onboarding: managed
repositories:
# the old platform monorepo
- name: acme-org/acme-platform
  pattern: monorepo
  default_branch: main
  variables_files:
  - path: infra/variables.yml
    state_key: "acme/acme-platform"   # never change
  - path: infra/eu-west-variables.yml
    state_key: acme/eu-west-1
- name: acme-org/acme-web   # the marketing site
  pattern: monorepo
  default_branch: master
  variables_files:
  - path: infra/variables.yml
    state_key: acme/acme-web
# end of acme
"""
GLOBEX = """\
customer_id: globex
tier: enterprise
onboarding: enterprise
repositories:
  - name: globex/platform
    pattern: monorepo
    default_branch: main
    variables_files:
      - path: infra/variables.yml
        state_key: globex/platform
"""
SHA = "0123456789abcdef0123456789abcdef01234567"
PLATFORM_KEYS = {"infra/variables.yml": "acme/acme-platform", "infra/eu-west-variables.yml": "acme/eu-west-1"}
RECORD = MigrationRecord("mono-to-separate", "acme", "acme-platform", SHA, "acme-infra", PLATFORM_KEYS)


def registry(acme: str = ACME, **more: str):
    files = {"customers/acme.yml": acme.encode(), "customers/globex.yml": GLOBEX.encode()}
    files.update({f"customers/{k}.yml": v.encode() for k, v in more.items()})
    return load_registry(files)


def facts(name: str, keys: dict[str, str], pattern: str = "monorepo", **kw: str | None) -> RepositoryFacts:
    return RepositoryFacts(kw.pop("customer_id", None) or "acme", name, pattern,
                           kw.pop("default_branch", None) or "main", keys, **kw)


def test_new_customer_file():
    got = register(load_registry({}), facts("acme-org/acme-regions", {
        "infra/us-east-variables.yml": "acme/us-east-1", "infra/eu-west-variables.yml": "acme/eu-west-1",
    }, "multi-region", tier="enterprise"))
    assert got == Registration("customers/acme.yml", None, """\
# yaml-language-server: $schema=registry.schema.json
#
# Registry entry of customer acme: its repositories, their variables files and
# the state_key of each. Managed by `repo-migrate register`; comments are kept.
customer_id: acme
tier: enterprise
onboarding: self-service
repositories:
  - name: acme-org/acme-regions
    pattern: multi-region
    default_branch: main
    variables_files:
      - path: infra/eu-west-variables.yml
        state_key: acme/eu-west-1
      - path: infra/us-east-variables.yml
        state_key: acme/us-east-1
""", ("create customers/acme.yml for customer acme",
      "add infra/eu-west-variables.yml (state_key acme/eu-west-1) to acme-org/acme-regions",
      "add infra/us-east-variables.yml (state_key acme/us-east-1) to acme-org/acme-regions"))
    # what it wrote registers exactly that, and registering again changes nothing
    again = register(load_registry({got.path: got.new.encode()}), facts("acme-org/acme-regions", {
        "infra/us-east-variables.yml": "acme/us-east-1", "infra/eu-west-variables.yml": "acme/eu-west-1",
    }, "multi-region"))
    assert again.is_empty and again.changes == () and again.new == got.new


def test_add_a_repository_keeps_comments_and_the_file_style():
    got = register(registry(), facts("acme-org/acme-services", {
        "infra/variables.yml": "acme/acme-services", "infra/api-vars.yml": "acme/acme-services/api",
    }, "multi-service"))
    assert got.new == ACME.replace("# end of acme\n", """\
- name: acme-org/acme-services
  pattern: multi-service
  default_branch: main
  variables_files:
  - path: infra/api-vars.yml
    state_key: acme/acme-services/api
  - path: infra/variables.yml
    state_key: acme/acme-services
# end of acme
""")
    assert got.old == ACME and got.notes == ()
    assert got.changes == (
        "add repository acme-org/acme-services (multi-service, default branch main)",
        "add infra/api-vars.yml (state_key acme/acme-services/api) to acme-org/acme-services",
        "add infra/variables.yml (state_key acme/acme-services) to acme-org/acme-services",
    )


def test_add_region_adds_its_file_to_the_entry():
    got = register(registry(), facts("acme-org/acme-platform", {
        **PLATFORM_KEYS, "infra/us-west-variables.yml": "acme/acme-platform/us-west-2"}))
    assert got.new == ACME.replace("    state_key: acme/eu-west-1\n", """\
    state_key: acme/eu-west-1
  - path: infra/us-west-variables.yml
    state_key: acme/acme-platform/us-west-2
""")
    assert got.changes == ("add infra/us-west-variables.yml (state_key acme/acme-platform/us-west-2) "
                           "to acme-org/acme-platform",)


def test_crlf_and_block_indentation_are_kept():
    text = GLOBEX.replace("\n", "\r\n")
    got = register(load_registry({"customers/globex.yml": text.encode()}), facts("GLOBEX/platform", {
            "infra/variables.yml": "globex/platform", "infra/eu-west-variables.yml": "globex/eu-west-1"},
            customer_id="globex"))
    assert got.new == text + ("      - path: infra/eu-west-variables.yml\r\n"
                              "        state_key: globex/eu-west-1\r\n")


def test_empty_repository_list_becomes_a_block_list():
    text = "customer_id: initech\ntier: standard\nonboarding: managed\nrepositories: []  # none yet\n"
    got = register(load_registry({"customers/initech.yml": text.encode()}), facts(
        "initech/tps", {"infra/variables.yml": "initech/tps"}, customer_id="initech"))
    assert got.new == """\
customer_id: initech
tier: standard
onboarding: managed
repositories:  # none yet
  - name: initech/tps
    pattern: monorepo
    default_branch: main
    variables_files:
      - path: infra/variables.yml
        state_key: initech/tps
"""


def test_fields_change_only_when_given_or_when_the_repository_changed():
    got = register(registry(), facts("acme-org/acme-web", {"infra/variables.yml": "acme/acme-web"},
                                     "separate", tier="enterprise"))
    assert got.new == (ACME.replace("tier: standard        #", "tier: enterprise        #")
                       .replace("  pattern: monorepo\n  default_branch: master",
                                "  pattern: separate\n  default_branch: main"))
    assert got.changes == ("set tier of customer acme to enterprise",
                           "set pattern of acme-org/acme-web to separate",
                           "set default_branch of acme-org/acme-web to main")
    same = register(registry(), facts("acme-org/acme-web", {"infra/variables.yml": "acme/acme-web"},
                                      default_branch="master"))
    assert same.is_empty and same.new == ACME


def test_a_file_gone_from_the_repository_stays_registered_with_a_note():
    got = register(registry(), facts("acme-org/acme-platform", {"infra/variables.yml": "acme/acme-platform"}))
    assert got.is_empty
    assert got.notes == ("infra/eu-west-variables.yml (state_key acme/eu-west-1) stays registered for "
                         "acme-org/acme-platform although the repository no longer has it: remove it "
                         "from customers/acme.yml once its state is destroyed",)


def test_a_proven_move_hands_every_key_over_and_drops_the_old_entry():
    got = register(registry(), facts("acme-org/acme-infra", PLATFORM_KEYS, "separate"), RECORD)
    assert got.new == ACME.replace("""\
# the old platform monorepo
- name: acme-org/acme-platform
  pattern: monorepo
  default_branch: main
  variables_files:
  - path: infra/variables.yml
    state_key: "acme/acme-platform"   # never change
  - path: infra/eu-west-variables.yml
    state_key: acme/eu-west-1
""", "").replace("# end of acme\n", f"""\
- name: acme-org/acme-infra
  pattern: separate
  default_branch: main
  variables_files:
  - path: infra/eu-west-variables.yml
    state_key: acme/eu-west-1
    moved_from:
      repository: acme-org/acme-platform
      command: mono-to-separate
      source_commit: {SHA}
  - path: infra/variables.yml
    state_key: acme/acme-platform
    moved_from:
      repository: acme-org/acme-platform
      command: mono-to-separate
      source_commit: {SHA}
# end of acme
""")
    assert got.changes == (
        "add repository acme-org/acme-infra (separate, default branch main)",
        "move infra/eu-west-variables.yml (state_key acme/eu-west-1) from acme-org/acme-platform to "
        "acme-org/acme-infra (mono-to-separate, source commit 0123456789ab)",
        "move infra/variables.yml (state_key acme/acme-platform) from acme-org/acme-platform to "
        "acme-org/acme-infra (mono-to-separate, source commit 0123456789ab)",
        "remove acme-org/acme-platform: none of its variables files is left",
    )
    # the keys are the same strings; only their owner changed
    after = load_registry({"customers/acme.yml": got.new.encode(), "customers/globex.yml": GLOBEX.encode()})
    for path, key in PLATFORM_KEYS.items():
        owner = after.owner_of(key)
        assert owner is not None and (owner.repository.name, owner.file.path) == ("acme-org/acme-infra", path)
    assert after.repository("acme-org/acme-platform") is None
    # registering the old repository again is refused now: its key is the infra repository's
    with pytest.raises(Refused, match="belongs to acme-org/acme-infra"):
        register(after, facts("acme-org/acme-platform", {"infra/variables.yml": "acme/acme-platform"}))


def test_a_partial_move_leaves_the_other_files_with_the_old_repository():
    record = MigrationRecord("mono-to-separate", "acme", "acme-org/acme-platform", SHA, "acme-infra",
                             {"infra/variables.yml": "acme/acme-platform"})
    got = register(registry(), facts("acme-org/acme-infra", {"infra/variables.yml": "acme/acme-platform"},
                                      "separate", default_branch="trunk"), record)
    assert got.new == ACME.replace("""\
  - path: infra/variables.yml
    state_key: "acme/acme-platform"   # never change
""", "").replace("# end of acme\n", f"""\
- name: acme-org/acme-infra
  pattern: separate
  default_branch: trunk
  variables_files:
  - path: infra/variables.yml
    state_key: acme/acme-platform
    moved_from:
      repository: acme-org/acme-platform
      command: mono-to-separate
      source_commit: {SHA}
# end of acme
""")


def test_a_record_naming_another_new_repository_is_noted():
    got = register(registry(), facts("acme-org/infra", PLATFORM_KEYS, "separate"), RECORD)
    assert got.notes == ("the migration record names the new repository acme-infra; it is "
                         "registered as acme-org/infra",)


MOVE_FIX = ("register from a clone of acme-org/acme-infra holding the record its migration wrote; "
            "otherwise remove infra/variables.yml from acme-org/acme-platform in customers/acme.yml "
            "once that repository no longer deploys it")
OWNED = ("state_key acme/acme-platform (infra/variables.yml) belongs to acme-org/acme-platform "
         "(customers/acme.yml) and no migration record (.repo-migrate/migration.json, or a Repo-Migrate-Record commit trailer) proves that it moved to "
         "acme-org/acme-infra: ")
ONE_KEY = {"infra/variables.yml": "acme/acme-platform"}


@pytest.mark.parametrize(("args", "problem", "fix"), [
    ((facts("acme-org/acme-infra", ONE_KEY), None), OWNED + "there is no migration record", MOVE_FIX),
    ((facts("acme-org/acme-infra", ONE_KEY), MigrationRecord(
        "mono-to-separate", "acme", "acme-web", SHA, "acme-infra", ONE_KEY)),
     OWNED + "it records a move from acme-web, not from acme-org/acme-platform", MOVE_FIX),
    ((facts("acme-org/acme-infra", ONE_KEY), MigrationRecord(
        "mono-to-separate", "acme", "other-org/acme-platform", SHA, "acme-infra", ONE_KEY)),
     OWNED + "it records a move from other-org/acme-platform, not from acme-org/acme-platform", MOVE_FIX),
    ((facts("acme-org/acme-infra", ONE_KEY), MigrationRecord(
        "mono-to-separate", "globex", "acme-platform", SHA, "acme-infra", ONE_KEY)),
     OWNED + "it is a record of customer globex, not acme", MOVE_FIX),
    ((facts("acme-org/acme-infra", ONE_KEY), MigrationRecord(
        "mono-to-separate", "acme", "acme-platform", SHA, "acme-infra", {"infra/variables.yml": "acme/x"})),
     OWNED + "it lists infra/variables.yml with state_key acme/x, not acme/acme-platform", MOVE_FIX),
    ((facts("acme-org/acme-infra", ONE_KEY), MigrationRecord(
        "mono-to-separate", "acme", "acme-platform", SHA, "acme-infra", {})),
     OWNED + "it does not list infra/variables.yml", MOVE_FIX),
    ((facts("acme-org/acme-infra", {"infra/variables.yml": "globex/platform"}), MigrationRecord(
        "mono-to-separate", "acme", "platform", SHA, "acme-infra",
        {"infra/variables.yml": "globex/platform"})),
     "state_key globex/platform (infra/variables.yml) belongs to globex/platform of customer globex "
     "(customers/globex.yml): a state_key never moves between customers",
     "check state_key in infra/variables.yml of acme-org/acme-infra: it must be the one generated for it"),
    ((facts("acme-org/acme-web", {"infra/variables.yml": "acme/acme-website"}), None),
     "infra/variables.yml of acme-org/acme-web is registered with state_key acme/acme-web, but the "
     "repository's file now says acme/acme-website: a state_key never changes",
     "restore state_key: acme/acme-web in infra/variables.yml (the provider's state is there)"),
    ((facts("acme-org/acme-web", {"infra/web-vars.yml": "acme/acme-web"}), None),
     "state_key acme/acme-web is registered for infra/variables.yml of acme-org/acme-web, but the "
     "repository has it in infra/web-vars.yml",
     "edit customers/acme.yml by hand: change the path of infra/variables.yml"),
    ((facts("Globex/Platform", {"infra/variables.yml": "globex/platform"}), None),
     "Globex/Platform is registered for customer globex (customers/globex.yml), not acme",
     "a repository belongs to one customer: check customer_id in its variables files, or remove it "
     "from customers/globex.yml first"),
    ((facts("acme-org/acme-app", {}, "separate"), None),
     "acme-org/acme-app has no variables file (infra/variables.yml, infra/<region>-variables.yml or "
     "infra/<service>-vars.yml): nothing of it deploys, so there is nothing to register",
     "register the repository that holds infra/ (for the separate pattern: the infra repository, "
     "not the app repository)"),
    ((RepositoryFacts("Acme", "acme-platform", "mono", "main", {"infra/x.yml": "Acme/X"}, "gold",
                      "self"), None),
     "cannot register acme-platform: customer_id 'Acme' is not a slug; repository 'acme-platform' is "
     "not owner/name; pattern 'mono' is not one of monorepo, separate, multi-service, multi-region; "
     "tier 'gold' is not one of standard, enterprise; onboarding 'self' is not one of self-service, "
     "managed, enterprise; infra/x.yml with state_key 'Acme/X' is not a variables file of the contract",
     "fix the repository's answers and variables files, or the options given"),
])
def test_refusals(args, problem, fix):
    reg = registry()
    with pytest.raises(Refused) as caught:
        register(reg, *args)
    assert (caught.value.problem, caught.value.fix) == (problem, fix)


@pytest.mark.parametrize(("data", "problem"), [
    (b"{", ".repo-migrate/migration.json is not JSON: Expecting property name enclosed in double "
     "quotes: line 1 column 2 (char 1)"),
    (b'{"format": "other@1"}', ".repo-migrate/migration.json is not a migration record of format "
     'repo-migrate/migration@1 (format: "other@1")'),
    (b"[]", ".repo-migrate/migration.json is not a migration record of format "
     "repo-migrate/migration@1 (format: null)"),
    (json.dumps({"format": contract.RECORD_FORMAT, "command": "mono-to-separate",
                 "old_repository": {"name": "acme-platform", "commit": "abc"},
                 "state_keys": {}}).encode(),
     ".repo-migrate/migration.json lacks command, old_repository.name, old_repository.commit (a "
     "full commit id) or state_keys (variables file -> state_key)"),
])
def test_a_broken_record_is_refused(data, problem):
    with pytest.raises(Refused) as caught:
        read_record(data)
    assert caught.value.problem == problem
    assert caught.value.fix == ("restore .repo-migrate/migration.json as repo-migrate wrote it (git "
                                "checkout -- .repo-migrate/migration.json), or register without it")


def test_the_record_mono_to_separate_writes_proves_the_move(tmp_path: Path):
    """A real mono-to-separate: its record moves the monorepo's key to the new infra repository."""
    mono = build_monorepo(tmp_path / "acme-platform")
    done = subprocess.run([sys.executable, "-m", "migrate", "mono-to-separate", str(mono),
                           "--infra-repo", str(tmp_path / "acme-infra"), "--no-history"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    record = read_record((tmp_path / "acme-infra" / contract.RECORD_FILE).read_bytes())
    assert record.state_keys == {"infra/variables.yml": "acme/acme-platform"}
    start = registry(ACME.replace(
        "  - path: infra/eu-west-variables.yml\n    state_key: acme/eu-west-1\n", ""))
    got = register(start, facts("acme-org/acme-infra", dict(record.state_keys), "separate"), record)
    assert got.changes[1:] == (
        "move infra/variables.yml (state_key acme/acme-platform) from acme-org/acme-platform to "
        f"acme-org/acme-infra (mono-to-separate, source commit {record.old_commit[:12]})",
        "remove acme-org/acme-platform: none of its variables files is left")
    assert f"      source_commit: {record.old_commit}\n" in got.new


def test_a_move_from_the_last_entry_of_a_file_without_final_newline():
    text = GLOBEX.replace("globex", "acme").replace("tier: enterprise", "tier: standard") + (
        "  - name: acme-org/acme-platform\n    pattern: monorepo\n    default_branch: main\n"
        "    variables_files:\n      - path: infra/variables.yml\n"
        "        state_key: acme/acme-platform\n        # its last line")
    record = MigrationRecord("mono-to-separate", "acme", "acme-platform", "0" * 40, "acme-infra", ONE_KEY)
    got = register(load_registry({"customers/acme.yml": text.encode()}),
                   facts("acme-org/acme-infra", ONE_KEY, "separate"), record)
    assert got.new == GLOBEX.replace("globex", "acme").replace("tier: enterprise", "tier: standard") + (
        "  - name: acme-org/acme-infra\n    pattern: separate\n    default_branch: main\n"
        "    variables_files:\n      - path: infra/variables.yml\n"
        "        state_key: acme/acme-platform\n        moved_from:\n"
        "          repository: acme-org/acme-platform\n          command: mono-to-separate\n"
        "          source_commit: '0000000000000000000000000000000000000000'")
