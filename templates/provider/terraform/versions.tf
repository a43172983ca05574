# Versions are exact: every customer's state is planned and applied with the same Terraform and
# the same AWS provider, and an upgrade is one reviewed change here (then `terraform init
# -upgrade` and a new .terraform.lock.hcl).
terraform {
  required_version = "1.11.4"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Partial configuration: one backend, many states. bucket, region and dynamodb_table come
  # from backend.hcl (rendered from the suite's answers) and key from the state address of the
  # target at `terraform init -backend-config=backend.hcl -backend-config=key=<state address>`,
  # where the state address is <state_key>/<environment>/terraform.tfstate.
  backend "s3" {
    encrypt = true
  }
}
