# One customer state: what one variables file asks for, in one environment.
#   - a full variables file (monorepo, separate, multi-region): network, compute and database;
#   - the shared variables.yml of a multi-service repository: network and database;
#   - a service's override file (infra/<service>-vars.yml): that service's compute, placed in
#     the network of the shared state (found by its tags).

module "vpc" {
  source = "./modules/customer-vpc"
  count  = local.is_service ? 0 : 1

  name               = local.name
  vpc_cidr           = local.network.vpc_cidr
  availability_zones = local.region.availability_zones
  public_subnets     = local.network.public_subnets
  private_subnets    = local.network.private_subnets
}

# The shared network of a multi-service repository, for a service's state.
data "aws_vpc" "shared" {
  count = local.is_service ? 1 : 0

  tags = {
    state_key   = local.shared_state_key
    environment = var.environment
  }
}

data "aws_subnets" "shared_private" {
  count = local.is_service ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.shared[0].id]
  }

  tags = {
    tier = "private"
  }
}

locals {
  vpc_id             = local.is_service ? data.aws_vpc.shared[0].id : module.vpc[0].vpc_id
  vpc_cidr           = local.is_service ? data.aws_vpc.shared[0].cidr_block : module.vpc[0].vpc_cidr
  private_subnet_ids = local.is_service ? data.aws_subnets.shared_private[0].ids : module.vpc[0].private_subnet_ids
}

module "compute" {
  source = "./modules/customer-compute"
  count  = local.has_services ? 0 : 1

  name               = local.name
  vpc_id             = local.vpc_id
  vpc_cidr           = local.vpc_cidr
  private_subnet_ids = local.private_subnet_ids
  instance_type      = local.compute.instance_type
  min_instances      = local.compute.min_instances
  max_instances      = local.compute.max_instances
  cpu_units          = local.compute.cpu_units
  memory_mib         = local.compute.memory_mib
}

module "database" {
  source = "./modules/customer-database"
  count  = local.is_service ? 0 : 1

  name                  = local.name
  vpc_id                = local.vpc_id
  vpc_cidr              = local.vpc_cidr
  private_subnet_ids    = local.private_subnet_ids
  tier                  = local.tier
  engine                = local.database.engine
  engine_version        = local.database.engine_version
  instance_class        = local.database.instance_class
  allocated_storage_gb  = local.database.allocated_storage_gb
  multi_az              = local.database.multi_az
  backup_retention_days = local.database.backup_retention_days
}
