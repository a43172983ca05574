variable "name" {
  description = "Prefix of every resource name (unique per state address)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the database lives in."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's range: where the database is reached from."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the database's subnet group."
  type        = list(string)
}

variable "tier" {
  description = "The customer's tier (tier): enterprise keeps Performance Insights history for two years."
  type        = string
}

variable "engine" {
  description = "Database engine (database.engine)."
  type        = string
}

variable "engine_version" {
  description = "Engine version, major or major.minor (database.engine_version)."
  type        = string
}

variable "instance_class" {
  description = "Instance class (database.instance_class)."
  type        = string
}

variable "allocated_storage_gb" {
  description = "Storage in GB (database.allocated_storage_gb)."
  type        = number
}

variable "multi_az" {
  description = "Keep a standby in a second availability zone (database.multi_az)."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days of automated backups (database.backup_retention_days)."
  type        = number
}
