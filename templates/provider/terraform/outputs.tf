output "vpc_id" {
  description = "The customer's VPC (for a service: the shared one)."
  value       = local.vpc_id
}

output "cluster_name" {
  description = "The ECS cluster of this state's compute, if it has any."
  value       = one(module.compute[*].cluster_name)
}

output "database_endpoint" {
  description = "The database endpoint, if this state holds the database."
  value       = one(module.database[*].endpoint)
}
