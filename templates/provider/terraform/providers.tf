# The region and the tags come from the customer's variables file: one root module serves every
# region, and every resource says whose it is and which state owns it.
provider "aws" {
  region = local.region.cloud_region

  default_tags {
    tags = merge(
      {
        customer_id  = local.customer_id
        state_key    = local.state_key
        environment  = var.environment
        "managed-by" = "terraform"
        tier         = local.tier
        region       = local.region.name
      },
      local.is_service ? { service = local.service } : {},
    )
  }
}
