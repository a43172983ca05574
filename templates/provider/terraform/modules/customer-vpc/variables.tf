variable "name" {
  description = "Prefix of every resource name (unique per state address)."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's range (network.vpc_cidr)."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones, one public and one private subnet in each (region.availability_zones)."
  type        = list(string)
}

variable "public_subnets" {
  description = "Public subnet ranges, in the order of availability_zones (network.public_subnets)."
  type        = list(string)
}

variable "private_subnets" {
  description = "Private subnet ranges, in the order of availability_zones (network.private_subnets)."
  type        = list(string)
}

variable "flow_log_retention_days" {
  description = "How long VPC flow logs are kept."
  type        = number
  default     = 365
}
