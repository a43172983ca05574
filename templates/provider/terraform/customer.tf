# The customer's variables file. Every property of the suite's variables schema
# (variables.schema.json at the repository root) is read here and nowhere else; the modules
# take plain values. tests/test_provider_terraform.py holds this file to exactly the schema.
locals {
  file = yamldecode(file(var.variables_file))

  # A multi-service override file (infra/<service>-vars.yml, recognised by `service`) gives only
  # compute keys; everything else comes from the repository's shared variables.yml beside it.
  is_service  = can(local.file.service)
  shared_file = local.is_service ? "${dirname(var.variables_file)}/variables.yml" : var.variables_file
  shared      = yamldecode(file(local.shared_file))
  # The shared file of a multi-service repository holds the network and the database; each
  # service's compute has its own state, planned from that service's override file.
  has_services = !local.is_service && length(fileset(dirname(var.variables_file), "*-vars.yml")) > 0

  customer_id = local.file.customer_id
  state_key   = local.file.state_key
  service     = local.is_service ? local.file.service : ""
  tier        = local.shared.tier

  # The shared file's identity, checked against the override's (outputs.tf).
  shared_customer_id = local.shared.customer_id
  shared_state_key   = local.shared.state_key

  environments = local.shared.environments
  region = {
    name               = local.shared.region.name
    cloud_region       = local.shared.region.cloud_region
    availability_zones = local.shared.region.availability_zones
  }

  # An override replaces single compute keys of the shared file, for that service only.
  compute = {
    instance_type = try(local.file.compute.instance_type, local.shared.compute.instance_type)
    min_instances = try(local.file.compute.min_instances, local.shared.compute.min_instances)
    max_instances = try(local.file.compute.max_instances, local.shared.compute.max_instances)
    cpu_units     = try(local.file.compute.cpu_units, local.shared.compute.cpu_units)
    memory_mib    = try(local.file.compute.memory_mib, local.shared.compute.memory_mib)
  }

  network = {
    vpc_cidr        = local.shared.network.vpc_cidr
    public_subnets  = local.shared.network.public_subnets
    private_subnets = local.shared.network.private_subnets
  }

  database = {
    engine                = local.shared.database.engine
    engine_version        = local.shared.database.engine_version
    instance_class        = local.shared.database.instance_class
    allocated_storage_gb  = local.shared.database.allocated_storage_gb
    multi_az              = local.shared.database.multi_az
    backup_retention_days = local.shared.database.backup_retention_days
  }

  # One name per state address, within AWS's shortest limits (RDS identifiers: 63 characters,
  # a letter first, no "--"): a readable prefix plus a hash of the state address.
  state_address = "${local.state_key}/${var.environment}/terraform.tfstate"
  name = join("-", [
    trim(substr(replace("${local.state_key}-${var.environment}", "/[^a-z0-9]+/", "-"), 0, 40), "-"),
    substr(sha1(local.state_address), 0, 8),
  ])
}

# The contract, checked at plan time before any resource is planned: a plan for an environment
# the customer did not ask for, an override file that does not belong to its shared file, or a
# network that does not fit its zones stops here with the reason.
output "state_address" {
  description = "Backend key of this state: <state_key>/<environment>/terraform.tfstate."
  value       = local.state_address

  precondition {
    condition     = contains(local.environments, var.environment)
    error_message = "Environment \"${var.environment}\" is not one of the variables file's environments (${join(", ", local.environments)}): plan one of those, or have the customer add it."
  }

  precondition {
    condition     = local.customer_id == local.shared_customer_id && (!local.is_service || startswith(local.state_key, "${local.shared_state_key}/"))
    error_message = "The override file ${var.variables_file} does not belong to its shared variables.yml (customer_id ${local.shared_customer_id}, state_key ${local.shared_state_key}/<service>)."
  }

  precondition {
    condition = (
      length(local.network.public_subnets) == length(local.region.availability_zones) &&
      length(local.network.private_subnets) == length(local.region.availability_zones) &&
      alltrue([for az in local.region.availability_zones : startswith(az, local.region.cloud_region)])
    )
    error_message = "The network needs one public and one private subnet per availability zone, each zone in ${local.region.cloud_region}."
  }
}
