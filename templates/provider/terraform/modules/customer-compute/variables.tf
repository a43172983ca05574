variable "name" {
  description = "Prefix of every resource name (unique per state address)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the compute runs in."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's range: where the application is reached from."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the cluster nodes and the tasks."
  type        = list(string)
}

variable "instance_type" {
  description = "Instance type of the cluster nodes (compute.instance_type)."
  type        = string
}

variable "min_instances" {
  description = "Fewest tasks (and nodes) to run (compute.min_instances)."
  type        = number
}

variable "max_instances" {
  description = "Most tasks (and nodes) autoscaling may run (compute.max_instances)."
  type        = number
}

variable "cpu_units" {
  description = "CPU units of each task, 1024 = one vCPU (compute.cpu_units)."
  type        = number
}

variable "memory_mib" {
  description = "Memory of each task in MiB (compute.memory_mib)."
  type        = number
}

variable "container_port" {
  description = "Port the application listens on (the suite's skeletons use 8080)."
  type        = number
  default     = 8080
}

variable "bootstrap_image_tag" {
  description = "Tag of the first task definition's image; the customer's releases register newer task definitions."
  type        = string
  default     = "initial"
}

variable "log_retention_days" {
  description = "How long the application's logs are kept."
  type        = number
  default     = 365
}
