# The customer's managed PostgreSQL: private, encrypted with its own key, the master password
# kept by RDS in Secrets Manager, IAM authentication, query logging and enhanced monitoring.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  port = 5432
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:a key policy, where Resource "*" is this key and the account-root statement is AWS's default
  #checkov:skip=CKV_AWS_111:a key policy, where Resource "*" is this key and the account-root statement is AWS's default
  #checkov:skip=CKV_AWS_356:a key policy, where Resource "*" is this key and the account-root statement is AWS's default
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  description         = "${var.name}: database storage, Performance Insights and the master secret"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "this" {
  name        = "${var.name}-database"
  description = "Database of ${var.name}: PostgreSQL from inside the VPC only"
  vpc_id      = var.vpc_id

  ingress {
    description = "PostgreSQL from inside the VPC"
    protocol    = "tcp"
    from_port   = local.port
    to_port     = local.port
    cidr_blocks = [var.vpc_cidr]
  }
}

resource "aws_db_parameter_group" "this" {
  name   = var.name
  family = "${var.engine}${split(".", var.engine_version)[0]}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Query logging: schema changes always, and any statement slower than a second.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:multi_az is the customer's choice (database.multi_az in its variables file; the standard tier's default is false)
  identifier     = "db-${var.name}"
  engine         = var.engine
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = local.port

  allocated_storage = var.allocated_storage_gb
  storage_type      = "gp3"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.this.arn

  multi_az                  = var.multi_az
  backup_retention_period   = var.backup_retention_days
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "db-${var.name}-final"

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  username                            = "app"
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = aws_kms_key.this.arn
  iam_database_authentication_enabled = true

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  monitoring_interval             = 60
  monitoring_role_arn             = aws_iam_role.monitoring.arn

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this.arn
  performance_insights_retention_period = var.tier == "enterprise" ? 731 : 7
}
