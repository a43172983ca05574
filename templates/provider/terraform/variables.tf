variable "variables_file" {
  description = "Path to one customer variables file (infra/variables.yml, infra/<region>-variables.yml or infra/<service>-vars.yml) in the customer's repository, checked out at the dispatched commit."
  type        = string

  validation {
    condition     = can(regex("\\.ya?ml$", var.variables_file))
    error_message = "variables_file must be the path of a customer's YAML variables file (*.yml or *.yaml)."
  }
}

variable "environment" {
  description = "The provider's environment to plan (one of the variables file's environments); part of the state address."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.environment))
    error_message = "environment must be a slug of a-z, 0-9 and \"-\" (e.g. staging), as in the variables files."
  }
}
