"""`repo-migrate register`: register a customer repository in the provider's registry.

``plan(settings)`` reads the customer repository at HEAD (its answers, variables files and
migration record: ``migrate.registry_facts``) and the provider repository at HEAD (the registry
and the policy: ``migrate.provider_repo``), and returns the new text of
``customers/<customer_id>.yml`` spliced by ``migrate.registry_edit`` (comments kept; keys never
change; a key another repository owns moves only when the migration record proves it).
``apply(planned)`` commits it on the new branch ``repo-migrate/register-<customer_id>`` of the
provider repository, after ``verify`` found there that the whole registry loads and validates and
that every state_key of the repository is registered for it. Neither repository is otherwise
touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import contract, gitops, locks, provider_repo
from migrate.errors import Refused, VerificationFailed
from migrate.migration_record import MigrationRecord, record_in_history
from migrate.plan import Applied, FileWrite, Note, Plan, default_branch
from migrate.publish import apply_to_branch
from migrate.registry import REGISTRY_DIR, Registry, same_repository
from migrate.registry_edit import Registration, RepositoryFacts, register
from migrate.registry_facts import facts_from_files
from migrate.remotes import is_github_name, origin_name
from migrate.repository import Repository, read_repository
from migrate.verify import FIX, check_tree, expected_tree, object_format

COMMAND = "register"
_READS = (contract.ANSWERS_FILE, f"{contract.INFRA_DIR}/", f"{contract.RECORD_DIR}/")


@dataclass(frozen=True)
class Settings:
    """What the user asked for (None: read it from the repositories)."""

    registry: Path  # the provider repository
    repo: Path  # the customer repository
    github_repo: str | None = None
    tier: str | None = None
    onboarding: str | None = None
    default_branch: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class RegisterPlan:
    """The plan of register and the facts it is made of."""

    plan: Plan
    facts: RepositoryFacts
    registration: Registration
    record: MigrationRecord | None
    customer_head: str
    name_from: str  # where the owner/name came from
    branch_from: str  # where the default branch came from

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.plan,)

    def details(self) -> dict[str, Any]:
        f = self.facts
        return {
            "customer_id": f.customer_id, "repository": f.name, "repository_from": self.name_from,
            "pattern": f.pattern, "default_branch": f.default_branch,
            "default_branch_from": self.branch_from, "registry_file": self.registration.path,
            "state_keys": dict(sorted(f.state_keys.items())),
            "registration": list(self.registration.changes),
            "record": None if self.record is None else {
                "command": self.record.command, "old_repository": self.record.old_name,
                "old_commit": self.record.old_commit},
            "customer_commit": self.customer_head,
        }


class _Files(Mapping[str, bytes]):
    """The customer repository's files at HEAD, each read only when asked for."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def __getitem__(self, path: str) -> bytes:
        if path not in self.repo.tree:
            raise KeyError(path)
        return self.repo.read(path)

    def __iter__(self) -> Iterator[str]:
        return iter(self.repo.tree)

    def __len__(self) -> int:
        return len(self.repo.tree)


def _refuse_uncommitted(repo: Path, paths: tuple[str, ...], what: str) -> None:
    dirty = gitops.dirty_paths(repo, *paths)
    if dirty:
        raise Refused(f"uncommitted changes in {repo} to the files register reads ({', '.join(dirty[:5])})",
                      f"commit or stash them: register reads {what} at the committed HEAD")


def _github_name(settings: Settings, root: Path) -> tuple[str, str]:
    if settings.github_repo is not None:
        if not is_github_name(settings.github_repo):
            raise Refused(f"--github-repo {settings.github_repo!r} is not owner/name",
                          "pass the repository's name on GitHub, e.g. --github-repo acme-org/acme-platform")
        return settings.github_repo, "--github-repo"
    name, url = origin_name(root)
    if name is None:
        why = "has no origin remote" if url is None else f"has the origin {url}, which names no GitHub repository"
        raise Refused(f"cannot tell the GitHub name of {root}: it {why}",
                      "pass --github-repo OWNER/NAME (the repository the dispatches come from), or "
                      "register from a clone of it (git clone https://github.com/OWNER/NAME)")
    return name, "the origin remote"


def _default_branch(settings: Settings, repo: Repository, name: str, registry: Registry) -> tuple[str, str]:
    if settings.default_branch is not None:
        if not gitops.git(repo.root, "check-ref-format", "--branch", settings.default_branch, check=False):
            raise Refused(f"--default-branch {settings.default_branch!r} is not a branch name",
                          "pass the repository's default branch, e.g. --default-branch main")
        return settings.default_branch, "--default-branch"
    remote_head = gitops.git(repo.root, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD",
                             check=False).strip()
    if remote_head.startswith("origin/"):
        return remote_head.removeprefix("origin/"), "origin/HEAD"
    found = registry.repository(name)
    if found is not None:
        return found[1].default_branch, "the registry"
    if repo.branch is None:
        raise Refused(f"cannot tell the default branch of {name}: {repo.root} is on a detached HEAD "
                      "and has no origin/HEAD", "pass --default-branch NAME")
    return repo.branch, "the checked-out branch"


def _mismatches(provider: provider_repo.ProviderRepository, answers: Mapping[str, Any] | None,
                provider_root: Path) -> list[Note]:
    """What would stop the repository's dispatches from reaching this provider, as notes."""
    notes: list[Note] = []
    if not answers:
        return notes
    sent = answers.get("dispatch_event_type")
    if isinstance(sent, str) and sent != provider.event_type:
        notes.append(Note(f"the repository dispatches event type {sent}, but the provider's workflow "
                          f"listens for {provider.event_type}: align dispatch_event_type", "provider"))
    target = answers.get("provider_repo")
    here, _ = origin_name(provider_root)
    if isinstance(target, str) and here is not None and not same_repository(target, here):
        notes.append(Note(f"the repository dispatches to {target}, not to this provider repository "
                          f"({here}): align its provider_repo answer", "provider"))
    envs = answers.get("environments")
    known = _policy_environments(provider)
    if isinstance(envs, list) and known is not None:
        unknown = [str(e) for e in envs if str(e) not in known]
        if unknown:
            notes.append(Note(f"the repository dispatches environments {', '.join(unknown)}, which "
                              f"approvals.yml does not list ({', '.join(known)}): those dispatches "
                              "are refused", "provider"))
    return notes


def _policy_environments(provider: provider_repo.ProviderRepository) -> tuple[str, ...] | None:
    """The provider's environments, or None when its policy cannot be read (verify says why)."""
    try:
        return provider.policy().environments
    except Refused:
        return None


def plan(settings: Settings) -> RegisterPlan:
    """Read both repositories at HEAD and plan the registry change (nothing is changed), holding
    their locks."""
    with locks.hold(settings.registry, settings.repo, command=COMMAND):
        return _plan(settings)


def _plan(settings: Settings) -> RegisterPlan:
    """Read both repositories at HEAD and plan the registry change (nothing is changed)."""
    for path, role in ((settings.registry, "--registry (the provider repository)"),
                       (settings.repo, "CUSTOMER_REPO")):
        if not path.exists():
            raise Refused(f"{path} does not exist", f"pass the path of a clone as {role}")
        gitops.check_repo(path)
    provider_root, customer_root = gitops.toplevel(settings.registry), gitops.toplevel(settings.repo)
    if provider_root == customer_root:
        raise Refused("the provider repository and the customer repository are the same",
                      "pass the provider's manager repository as --registry and a customer's as CUSTOMER_REPO")
    for root in (provider_root, customer_root):
        gitops.check_has_commits(root)
    gitops.check_no_operation_in_progress(provider_root)
    _refuse_uncommitted(provider_root, (f"{REGISTRY_DIR}/",), "customers/")
    _refuse_uncommitted(customer_root, _READS, "its answers, infra/ and migration record")
    base = gitops.head_sha(provider_root)
    provider = provider_repo.read_commit(provider_root, base)
    registry = provider.registry()
    customer = read_repository(customer_root)
    name, name_from = _github_name(settings, customer_root)
    branch, branch_from = _default_branch(settings, customer, name, registry)
    trailer = None if contract.RECORD_FILE in customer.tree else record_in_history(customer_root)
    # facts_from_files reads these one by one: fetch them in one git process first.
    customer.prefetch(p for p in (contract.RECORD_FILE, *contract.variables_files(customer.tree))
                      if p in customer.tree)
    facts, record = facts_from_files(_Files(customer), name, branch, tier=settings.tier,
                                     onboarding=settings.onboarding, record_trailer=trailer)
    registration = register(registry, facts, record)
    result_branch = settings.branch or default_branch(COMMAND, facts.customer_id)
    notes = [Note(n, "provider") for n in (*registration.changes, *registration.notes)]
    notes += _mismatches(provider, customer.answers, provider_root)
    changes: tuple[FileWrite, ...] = ()
    if not registration.is_empty:
        # The provider's own copy of the schema may be stricter than the toolkit's (checked by
        # register): the registry it would hold must satisfy both.
        provider_repo.ProviderRepository({**provider.files, registration.path: registration.new.encode()},
                                         provider.where).registry()
        gitops.check_branch_free(provider_root, result_branch)
        old = None if registration.old is None else registration.old.encode("utf-8")
        changes = (FileWrite(registration.path, old, registration.new.encode("utf-8")),)
        notes += [Note(f"review: git -C {provider_root} diff HEAD {result_branch}"),
                  Note(f"merge it into the provider repository's default branch (push {result_branch} "
                       f"and open a pull request): dispatches of {name} are verified against the "
                       "registry there")]
    message = (f"repo-migrate register: {name} (customer {facts.customer_id})\n\n"
               + "".join(f"- {c}\n" for c in registration.changes)
               + f"\nCustomer commit: {customer.head}\n")
    the_plan = Plan(COMMAND, provider_root, result_branch, changes, notes=tuple(notes),
                    message=message, base=base)
    return RegisterPlan(the_plan, facts, registration, record, customer.head, name_from, branch_from)


def verify(planned: RegisterPlan, before: Registry, repo: Path, commit: str) -> None:
    """The result holds exactly the planned file; the whole registry loads and validates there;
    every state_key of the repository is registered for it, and no key of the base is lost."""
    plan = planned.plan
    assert plan.base is not None
    check_tree(gitops.ls_tree(repo, commit),
               expected_tree(gitops.ls_tree(repo, plan.base), plan, object_format(repo)),
               "the provider repository")
    try:
        after = provider_repo.read_commit(repo, commit).registry()
    except Refused as exc:
        raise VerificationFailed(f"the registry would not load after the change: {exc.problem}", FIX) from None
    problems = []
    for path, key in sorted(planned.facts.state_keys.items()):
        owner = after.owner_of(key)
        if owner is None or not same_repository(owner.repository.name, planned.facts.name) \
                or owner.file.path != path:
            problems.append(f"state_key {key} ({path}) is not registered for {planned.facts.name}")
    lost = sorted({f.state_key for c in before.customers for r in c.repositories
                   for f in r.variables_files} - {f.state_key for c in after.customers
                                                   for r in c.repositories for f in r.variables_files})
    problems += [f"state_key {key} would no longer be registered" for key in lost]
    if problems:
        raise VerificationFailed("; ".join(problems), FIX)


def apply(planned: RegisterPlan) -> Applied:
    """Commit the registry change on its new branch (scratch repository, verified, published last)."""
    plan = planned.plan
    assert plan.base is not None
    with locks.hold(plan.repo, command=COMMAND):
        before = provider_repo.read_commit(plan.repo, plan.base).registry()
        published = apply_to_branch(plan.repo, plan,
                                    verify=lambda work, commit: verify(planned, before, work, commit))
    if published is None:
        return Applied(planned)
    return Applied(planned, (published,), f"Done: branch {published.branch} in {published.repo}.",
                   (("branch", str(published.branch)), ("commit", published.commit)))


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``, holding both repositories' locks from start to end."""
    with locks.hold(settings.registry, settings.repo, command=COMMAND):
        return apply(plan(settings))
