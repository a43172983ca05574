"""Repositories shaped like real ones (built by the tests, no network), for the layout tests.

Each has its application where real repositories keep it (at the root, in ``src/``, in
``apps/``, or in ``app/``), Terraform in ``infra/`` with a workflow working there, an app CI
workflow with path filters and path-valued inputs, attribute, ignore and CODEOWNERS rules (an
LFS pointer in ``infra/`` and one in the application), symbolic links, and a history with
merges, several branches and tags, and remote-tracking branches.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers import build_file_tree, git
from tests.monorepos import commit

LAYOUTS = ("root", "src", "apps", "app")
# Where each layout keeps the application's files, and the file a test follows through moves.
APP_PREFIX = {"root": "", "src": "src/", "apps": "apps/web/", "app": "app/"}
FOLLOWED = {"root": "server.js", "src": "src/app.py", "apps": "apps/web/index.js",
            "app": "app/src/index.js"}

VARIABLES = ("# Variables the provider reads.\ncustomer_id: acme\nstate_key: acme/acme-shop\n"
             "region:\n  name: eu-west\nenvironments: [staging, production]\n")


def lfs_pointer(oid_char: str, size: int) -> str:
    """A Git LFS pointer file (what git stores for an LFS-tracked file)."""
    return (f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid_char * 64}\n"
            f"size {size}\n")


TRIGGER = """\
name: trigger-infra
on:
  push:
    paths: ['infra/**']
permissions: {}
jobs:
  dispatch:
    runs-on: ubuntu-latest
    steps:
      - run: >-
          curl -fsS -X POST -H "Authorization: Bearer $TOKEN"
          https://api.github.com/repos/acme-provider/infra-manager/dispatches
          -d '{"event_type": "customer-infra-changed"}'
        env:
          TOKEN: ${{ secrets.ACME_DISPATCH }}
"""

TERRAFORM = """\
name: terraform
on:
  push:
    branches: [main]
    paths: ['infra/**', '.github/workflows/terraform.yml']
  pull_request:
    paths: ['infra/**']
permissions:
  contents: read
jobs:
  plan:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: ./infra
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2
      - run: terraform init -backend=false
      - run: terraform validate
"""

# The app CI of the app/ layout: the filters and inputs real workflows use to name app/.
APP_CI = """\
# Build and test the shop (app/).
name: ci
on:
  push:
    branches: [main]
    paths:
      - '**/app/**'   # any change to the app
      - .github/workflows/ci.yml
  pull_request:
    paths: ['app/**', '!app/docs/**']
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0
        with:
          node-version: 20
          cache: yarn
          cache-dependency-path: ./app/yarn.lock
      - uses: actions/cache@1bd1e32a3bdc45362d1e726936510720a7c30a57 # v4.2.0
        with:
          path: |
            app/node_modules
            ~/.cache/yarn
          key: deps-${{ hashFiles('app/package.json', 'app/yarn.lock') }}
      - run: yarn install --frozen-lockfile && yarn test
        working-directory: app
      - uses: docker/build-push-action@48aba3b46d1b1fec4febb7c5d0c644b249a11355 # v6.10.0
        with:
          context: ./app
          file: app/Dockerfile
          push: false
"""

# What the app/ layout's CI becomes in the app repository, byte for byte.
APP_CI_AT_ROOT = """\
# Build and test the shop (app/).
name: ci
on:
  push:
    branches: [main]
  pull_request:
    paths: ['**', '!docs/**']
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0
        with:
          node-version: 20
          cache: yarn
          cache-dependency-path: ./yarn.lock
      - uses: actions/cache@1bd1e32a3bdc45362d1e726936510720a7c30a57 # v4.2.0
        with:
          path: |
            node_modules
            ~/.cache/yarn
          key: deps-${{ hashFiles('package.json', 'yarn.lock') }}
      - run: yarn install --frozen-lockfile && yarn test
      - uses: docker/build-push-action@48aba3b46d1b1fec4febb7c5d0c644b249a11355 # v6.10.0
        with:
          context: .
          file: Dockerfile
          push: false
"""


def _ci(prefix: str) -> str:
    """The app CI of a layout whose application is in *prefix* (not app/: it needs no edit)."""
    watch = f"'{prefix}**'" if prefix else "'**'"
    return (APP_CI.replace("# Build and test the shop (app/).", "# Build and test the shop.")
            .replace("      - '**/app/**'   # any change to the app\n",
                     f"      - {watch}\n      - '!infra/**'\n")
            .replace("paths: ['app/**', '!app/docs/**']", "paths-ignore: ['infra/**', 'docs/**']")
            .replace("./app/yarn.lock", f"./{prefix}yarn.lock")
            .replace("            app/node_modules\n", f"            {prefix}node_modules\n")
            .replace("hashFiles('app/package.json', 'app/yarn.lock')",
                     f"hashFiles('{prefix}package.json', '{prefix}yarn.lock')")
            .replace("        working-directory: app\n",
                     f"        working-directory: {prefix or '.'}\n")
            .replace("context: ./app", f"context: ./{prefix}".rstrip("/"))
            .replace("file: app/Dockerfile", f"file: {prefix}Dockerfile"))


def _app_files(layout: str) -> dict[str, str]:
    if layout == "root":
        return {"package.json": '{"name": "shop", "scripts": {"test": "node --test"}}\n',
                "yarn.lock": "# yarn lockfile v1\n", "server.js": "console.log('shop');\n",
                "lib/cart.js": "module.exports = {};\n", "Dockerfile": "FROM node:20\n",
                "assets/logo.png": lfs_pointer("a", 2048)}
    if layout == "src":
        return {"src/app.py": "print('shop')\n", "src/requirements.txt": "flask==3.0.0\n",
                "src/package.json": "{}\n", "src/yarn.lock": "# yarn lockfile v1\n",
                "src/Dockerfile": "FROM python:3.12\n", "src/assets/logo.png": lfs_pointer("a", 2048)}
    if layout == "apps":
        return {"apps/web/index.js": "console.log('web');\n", "apps/web/package.json": "{}\n",
                "apps/api/main.py": "print('api')\n", "apps/package.json": "{}\n",
                "apps/yarn.lock": "# yarn lockfile v1\n", "apps/Dockerfile": "FROM node:20\n",
                "apps/assets/logo.png": lfs_pointer("a", 2048)}
    return {"app/package.json": '{"name": "shop"}\n', "app/yarn.lock": "# yarn lockfile v1\n",
            "app/src/index.js": "console.log('shop');\n", "app/Dockerfile": "FROM node:20\n",
            "app/docs/notes.md": "Notes.\n", "app/assets/logo.png": lfs_pointer("a", 2048)}


def build_real(path: Path, layout: str) -> Path:
    """A repository of *layout* (see LAYOUTS) with history, branches, tags and remote refs."""
    prefix = APP_PREFIX[layout]
    assets = {"apps": "apps/assets", "src": "src/assets"}.get(layout, f"{prefix}assets")
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    build_file_tree(path, {
        "README.md": "# acme shop\n\nThe shop and its infrastructure.\n",
        "LICENSE": "MIT\n",
        ".gitignore": "node_modules/\n.terraform/\n*.tfstate*\n/infra/plan.out\n/dist/\n",
        ".gitattributes": ("* text=auto\n*.png binary\n"
                           "infra/**/*.zip filter=lfs diff=lfs merge=lfs -text\n"
                           f"{assets}/** filter=lfs diff=lfs merge=lfs -text\n"),
        ".github/CODEOWNERS": ("* @acme/devs\n/infra/ @acme/ops\n"
                               "/.github/workflows/terraform.yml @acme/ops\n"),
        ".github/workflows/ci.yml": APP_CI if layout == "app" else _ci(prefix),
        ".github/workflows/terraform.yml": TERRAFORM,
        ".github/workflows/trigger-infra.yml": TRIGGER,
        "infra/variables.yml": VARIABLES,
        "infra/main.tf": 'module "vpc" {\n  source = "./modules/vpc"\n}\n',
        "infra/modules/vpc/main.tf": 'resource "null_resource" "vpc" {}\n',
        "infra/envs/prod.tfvars": 'size = "large"\n',
        "infra/lambda.zip": lfs_pointer("b", 4096),
        **_app_files(layout),
    })
    os.symlink("envs/prod.tfvars", path / "infra/current.tfvars")
    if layout == "app":
        os.symlink("app/src", path / "latest")  # a root link into app/: rewritten by a split
        os.symlink("src/index.js", path / "app/main.js")  # inside app/: moves as it is
    commit(path, "start the shop", "Alice", "2024-01-01T10:00:00+01:00")
    followed = path / FOLLOWED[layout]
    followed.write_text(followed.read_text() + "// v2\n")
    commit(path, "app: v2", "Bob", "2024-01-02T11:00:00-05:00")
    git(path, "switch", "-q", "-c", "feature")
    (path / "infra/variables.yml").write_text(VARIABLES + "db_size: large\n")
    commit(path, "infra: bigger database", "Carol", "2024-02-03T09:30:00+00:00")
    git(path, "switch", "-q", "main")
    env = {**os.environ, "GIT_COMMITTER_DATE": "2024-02-05T12:00:00+00:00",
           "GIT_AUTHOR_DATE": "2024-02-05T12:00:00+00:00"}
    subprocess.run(["git", "-C", str(path), "merge", "-q", "--no-ff", "-m", "Merge feature",
                    "feature"], check=True, env=env)
    git(path, "tag", "v1.0")
    git(path, "tag", "-a", "-m", "release 1.1", "v1.1")
    followed.write_text(followed.read_text() + "// v3\n")
    commit(path, "app: v3", "Alice", "2024-03-01T00:00:00+00:00")
    git(path, "branch", "hotfix", "v1.0")
    head = git(path, "rev-parse", "HEAD").strip()
    for ref, at in (("origin/main", head), ("origin/feature", "feature"), ("origin/hotfix", "v1.0")):
        git(path, "update-ref", f"refs/remotes/{ref}", at)
    git(path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return path
