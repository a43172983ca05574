output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "The VPC's range."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, in the order of the availability zones."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets, in the order of the availability zones."
  value       = aws_subnet.private[*].id
}
