output "cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "The application's ECS service."
  value       = aws_ecs_service.app.name
}

output "repository_url" {
  description = "Where the customer's releases push the application image."
  value       = aws_ecr_repository.app.repository_url
}
