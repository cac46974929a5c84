//! Generates a large, realistic AWS account as keyhole resource JSON lines (see
//! docs/resources.md), for end-to-end benchmarks of `keyhole analyze`.
//!
//! ```sh
//! cargo run --release -p keyhole-analyzer --example gen_account -- [COUNT] [PATH] [SEED]
//! ```
//!
//! `COUNT` resources (default 100,000) of account `111122223333` (organization `o-a1b2c3d4e5`),
//! written to `PATH` (default: stdout), deterministically from `SEED` (default 1), plus the
//! account-level S3 Block Public Access entry (settings off). The type mix and the policies
//! follow a typical production account: mostly S3 buckets, IAM roles, Lambda functions, SQS
//! queues, SNS topics, KMS keys and secrets, some snapshots, ECR repositories, DynamoDB tables
//! and the rarer types. Most policies are same-account or service-principal grants (with the
//! usual `aws:SourceArn`/`aws:SourceAccount` pins and TLS-only denies); a few percent grant
//! another account, the organization (`aws:PrincipalOrgID`), a VPC endpoint, a federated
//! provider, or everyone. About a third of the policies are written as JSON strings, as AWS
//! APIs return them. A summary by type goes to stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const ORG: &str = "o-a1b2c3d4e5";
const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
/// Partner accounts (outside the zone).
const PARTNERS: [&str; 8] = [
    "444455556666",
    "777788889999",
    "123456789012",
    "210987654321",
    "345678901234",
    "456789012345",
    "567890123456",
    "678901234567",
];
const WORDS: [&str; 16] = [
    "orders",
    "billing",
    "analytics",
    "ingest",
    "reports",
    "media",
    "audit",
    "search",
    "users",
    "events",
    "backup",
    "etl",
    "web",
    "api",
    "ml",
    "payments",
];
const ENVS: [&str; 3] = ["prod", "staging", "dev"];

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let r = (self.next() % n as u64) as usize;
        r
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A draw in per mille.
    fn permille(&mut self) -> usize {
        self.below(1000)
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(u32::try_from(self.below(16)).unwrap(), 16).unwrap())
            .collect()
    }
}

fn policy(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A policy as an object or, a third of the time, as the JSON string AWS APIs return.
fn written(rng: &mut Rng, policy: Value) -> Value {
    if rng.below(3) == 0 {
        Value::String(policy.to_string())
    } else {
        policy
    }
}

fn role_arn(rng: &mut Rng, account: &str) -> String {
    format!(
        "arn:aws:iam::{account}:role/{}-{}",
        rng.pick(&WORDS),
        rng.pick(&["reader", "writer", "admin", "service", "deploy", "etl"])
    )
}

fn tls_deny(resources: Value) -> Value {
    json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "*",
           "Resource": resources, "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
}

/// Who a typical grant goes to; `kind` in per mille buckets.
enum Grantee {
    SameAccount,
    Service,
    CrossAccount,
    Org,
    Vpce,
    Public,
}

fn grantee(
    rng: &mut Rng,
    service: usize,
    cross: usize,
    org: usize,
    vpce: usize,
    public: usize,
) -> Grantee {
    let x = rng.permille();
    if x < public {
        Grantee::Public
    } else if x < public + vpce {
        Grantee::Vpce
    } else if x < public + vpce + org {
        Grantee::Org
    } else if x < public + vpce + org + cross {
        Grantee::CrossAccount
    } else if x < public + vpce + org + cross + service {
        Grantee::Service
    } else {
        Grantee::SameAccount
    }
}

/// One `Allow` statement for `grantee` on `resources` with `actions`; `service` is the service
/// principal (and a `aws:SourceArn` for it) used for `Grantee::Service`.
fn grant(
    rng: &mut Rng,
    who: &Grantee,
    actions: Value,
    resources: &Value,
    service: (&str, String),
) -> Value {
    let mut st = json!({"Effect": "Allow", "Action": actions, "Resource": resources});
    match who {
        Grantee::SameAccount => {
            st["Principal"] = if rng.below(3) == 0 {
                json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")})
            } else {
                json!({"AWS": role_arn(rng, ACCOUNT)})
            };
        }
        Grantee::Service => {
            st["Principal"] = json!({"Service": service.0});
            st["Condition"] = if rng.below(2) == 0 {
                json!({"ArnLike": {"aws:SourceArn": service.1}})
            } else {
                json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}})
            };
        }
        Grantee::CrossAccount => {
            let partner = *rng.pick(&PARTNERS);
            st["Principal"] = if rng.below(2) == 0 {
                json!({"AWS": format!("arn:aws:iam::{partner}:root")})
            } else {
                json!({"AWS": role_arn(rng, partner)})
            };
        }
        Grantee::Org => {
            st["Principal"] = json!("*");
            st["Condition"] = json!({"StringEquals": {"aws:PrincipalOrgID": ORG}});
        }
        Grantee::Vpce => {
            st["Principal"] = json!("*");
            st["Condition"] =
                json!({"StringEquals": {"aws:SourceVpce": format!("vpce-0{}", rng.hex(16))}});
        }
        Grantee::Public => {
            st["Principal"] = json!("*");
        }
    }
    st
}

struct Gen {
    rng: Rng,
    counts: BTreeMap<&'static str, usize>,
    with_policy: usize,
}

impl Gen {
    fn name(&mut self, i: usize) -> String {
        format!(
            "{}-{}-{}-{i:06}",
            self.rng.pick(&WORDS),
            self.rng.pick(&ENVS),
            self.rng
                .pick(&["data", "store", "assets", "logs", "main", "x"])
        )
    }

    fn region(&mut self) -> &'static str {
        REGIONS[self.rng.below(REGIONS.len())]
    }

    fn s3_bucket(&mut self, i: usize) -> Value {
        let name = self.name(i);
        let arn = format!("arn:aws:s3:::{name}");
        let both = json!([arn.clone(), format!("{arn}/*")]);
        let objects = json!(format!("{arn}/*"));
        let rng = &mut self.rng;
        let mut config = serde_json::Map::new();
        let x = rng.permille();
        let statements: Option<Vec<Value>> = if x < 350 {
            None
        } else if x < 600 {
            Some(vec![tls_deny(both.clone())])
        } else if x < 700 {
            // Log delivery from a service of the account.
            let (service, source) = *rng.pick(&[
                ("logging.s3.amazonaws.com", "arn:aws:s3:::*"),
                (
                    "delivery.logs.amazonaws.com",
                    "arn:aws:logs:*:111122223333:*",
                ),
                (
                    "cloudtrail.amazonaws.com",
                    "arn:aws:cloudtrail:*:111122223333:trail/*",
                ),
            ]);
            let mut st = vec![
                json!({"Sid": "LogDelivery", "Effect": "Allow", "Principal": {"Service": service},
                       "Action": "s3:PutObject", "Resource": objects,
                       "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                     "ArnLike": {"aws:SourceArn": source}}}),
            ];
            if service == "cloudtrail.amazonaws.com" {
                st.push(json!({"Sid": "AclCheck", "Effect": "Allow",
                               "Principal": {"Service": service}, "Action": "s3:GetBucketAcl",
                               "Resource": arn, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}));
            }
            st.push(tls_deny(both.clone()));
            Some(st)
        } else if x < 800 {
            // CloudFront origin access control.
            let distribution = format!(
                "arn:aws:cloudfront::{ACCOUNT}:distribution/E{}",
                rng.hex(13).to_uppercase()
            );
            Some(vec![
                json!({"Sid": "AllowCloudFrontServicePrincipal", "Effect": "Allow",
                       "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                       "Resource": objects, "Condition": {"StringEquals": {"AWS:SourceArn": distribution}}}),
            ])
        } else {
            let who = grantee(rng, 0, 320, 160, 60, 40);
            let actions = rng
                .pick(&[
                    json!(["s3:GetObject", "s3:ListBucket"]),
                    json!(["s3:GetObject", "s3:PutObject", "s3:ListBucket"]),
                    json!("s3:GetObject"),
                    json!("s3:*"),
                ])
                .clone();
            let resources = if matches!(who, Grantee::Public) {
                objects
            } else {
                both.clone()
            };
            let mut st = vec![grant(rng, &who, actions, &resources, ("", String::new()))];
            if rng.below(2) == 0 {
                st.push(tls_deny(both.clone()));
            }
            Some(st)
        };
        if let Some(st) = statements {
            config.insert("bucketPolicy".to_owned(), written(rng, policy(st)));
            self.with_policy += 1;
        }
        let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
        let mut grants = vec![json!({"permission": "FULL_CONTROL", "grantee": {"id": owner}})];
        let y = rng.permille();
        if y < 10 {
            grants.push(json!({"permission": "WRITE", "grantee": {"uri": "http://acs.amazonaws.com/groups/s3/LogDelivery"}}));
        } else if y < 15 {
            grants.push(json!({"permission": "READ", "grantee": {"uri": "http://acs.amazonaws.com/groups/global/AllUsers"}}));
        } else if y < 20 {
            grants.push(json!({"permission": "READ", "grantee": {"id": format!("{}{}", rng.hex(32), rng.hex(32))}}));
        }
        config.insert("bucketAclGrants".to_owned(), json!(grants));
        config.insert("ownerCanonicalId".to_owned(), json!(owner));
        if rng.permille() < 750 {
            config.insert(
                "bucketPublicAccessBlock".to_owned(),
                json!({"ignorePublicAcls": true, "restrictPublicBuckets": true}),
            );
        }
        json!({"arn": arn, "resourceType": "AWS::S3::Bucket", "account": ACCOUNT,
               "region": self.region(), "configuration": config})
    }

    fn iam_role(&mut self, i: usize) -> Value {
        let name = format!("{}-{i:06}", self.rng.pick(&WORDS));
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
        let rng = &mut self.rng;
        let x = rng.permille();
        let st = if x < 600 {
            let service = *rng.pick(&[
                "lambda.amazonaws.com",
                "ec2.amazonaws.com",
                "ecs-tasks.amazonaws.com",
                "glue.amazonaws.com",
                "states.amazonaws.com",
                "events.amazonaws.com",
            ]);
            json!({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
        } else if x < 750 {
            json!({"Effect": "Allow", "Principal": {"AWS": if rng.below(2) == 0 {
                format!("arn:aws:iam::{ACCOUNT}:root") } else { role_arn(rng, ACCOUNT) }},
                   "Action": "sts:AssumeRole"})
        } else if x < 830 {
            json!({"Effect": "Allow",
                   "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_{}_DO_NOT_DELETE", rng.hex(16))},
                   "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                   "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}})
        } else if x < 900 {
            let partner = *rng.pick(&PARTNERS);
            json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{partner}:root")},
                   "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": rng.hex(12)}}})
        } else if x < 940 {
            json!({"Effect": "Allow",
                   "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")},
                   "Action": "sts:AssumeRoleWithWebIdentity",
                   "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                                 "StringLike": {"token.actions.githubusercontent.com:sub": format!("repo:example-org/{}:*", rng.pick(&WORDS))}}})
        } else if x < 970 {
            json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}})
        } else {
            let partner = *rng.pick(&PARTNERS);
            json!({"Effect": "Allow", "Principal": {"AWS": role_arn(rng, partner)}, "Action": "sts:AssumeRole"})
        };
        let trust = written(rng, policy(vec![st]));
        self.with_policy += 1;
        json!({"arn": arn, "resourceType": "AWS::IAM::Role", "configuration": {"trustPolicy": trust}})
    }

    fn lambda(&mut self, i: usize) -> Value {
        let region = self.region();
        let name = self.name(i);
        let arn = format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}");
        let rng = &mut self.rng;
        let x = rng.permille();
        let mut config = json!({});
        if x >= 400 {
            let (service, source) = *rng.pick(&[
                ("s3.amazonaws.com", "arn:aws:s3:::*"),
                (
                    "events.amazonaws.com",
                    "arn:aws:events:*:111122223333:rule/*",
                ),
                (
                    "apigateway.amazonaws.com",
                    "arn:aws:execute-api:*:111122223333:*",
                ),
                ("sns.amazonaws.com", "arn:aws:sns:*:111122223333:*"),
            ]);
            let who = grantee(rng, 780, 90, 0, 0, 20);
            let st = match who {
                Grantee::Public => json!({"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow",
                    "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": arn,
                    "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}),
                _ => {
                    let mut st = grant(
                        rng,
                        &who,
                        json!("lambda:InvokeFunction"),
                        &json!(arn),
                        (service, source.to_owned()),
                    );
                    st["Sid"] = json!(format!("invoke-{}", rng.hex(8)));
                    st
                }
            };
            config["functionPolicy"] = written(rng, policy(vec![st]));
            self.with_policy += 1;
        }
        json!({"arn": arn, "resourceType": "AWS::Lambda::Function", "configuration": config})
    }

    fn sqs(&mut self, i: usize) -> Value {
        let region = self.region();
        let name = self.name(i);
        let arn = format!("arn:aws:sqs:{region}:{ACCOUNT}:{name}");
        let rng = &mut self.rng;
        let mut config = json!({});
        if rng.permille() >= 300 {
            let topic = format!(
                "arn:aws:sns:{region}:{ACCOUNT}:{}-{}",
                rng.pick(&WORDS),
                rng.hex(4)
            );
            let who = grantee(rng, 570, 110, 70, 20, 15);
            let st = grant(
                rng,
                &who,
                json!(["sqs:SendMessage"]),
                &json!(arn),
                ("sns.amazonaws.com", topic),
            );
            config["queuePolicy"] = written(rng, policy(vec![st]));
            self.with_policy += 1;
        }
        json!({"arn": arn, "resourceType": "AWS::SQS::Queue", "configuration": config})
    }

    fn sns(&mut self, i: usize) -> Value {
        let region = self.region();
        let name = self.name(i);
        let arn = format!("arn:aws:sns:{region}:{ACCOUNT}:{name}");
        let rng = &mut self.rng;
        let x = rng.permille();
        let mut statements = vec![json!({
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}})];
        if x >= 600 {
            let who = grantee(rng, 500, 250, 175, 0, 75);
            let actions = if matches!(who, Grantee::Service) {
                json!("sns:Publish")
            } else {
                json!(["sns:Subscribe", "sns:Receive"])
            };
            let service = *rng.pick(&[
                "events.amazonaws.com",
                "cloudwatch.amazonaws.com",
                "s3.amazonaws.com",
            ]);
            statements.push(grant(
                rng,
                &who,
                actions,
                &json!(arn),
                (service, format!("arn:aws:*:*:{ACCOUNT}:*")),
            ));
        }
        let p = written(rng, policy(statements));
        self.with_policy += 1;
        json!({"arn": arn, "resourceType": "AWS::SNS::Topic", "configuration": {"topicPolicy": p}})
    }

    fn kms(&mut self) -> Value {
        let region = self.region();
        let rng = &mut self.rng;
        let id = format!(
            "{}-{}-{}-{}-{}",
            rng.hex(8),
            rng.hex(4),
            rng.hex(4),
            rng.hex(4),
            rng.hex(12)
        );
        let arn = format!("arn:aws:kms:{region}:{ACCOUNT}:key/{id}");
        let mut statements = vec![
            json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}),
        ];
        let x = rng.permille();
        if (600..850).contains(&x) {
            statements.push(json!({"Sid": "Allow use of the key", "Effect": "Allow",
                "Principal": {"AWS": role_arn(rng, ACCOUNT)},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*"}));
        } else if (850..930).contains(&x) {
            let partner = *rng.pick(&PARTNERS);
            statements.push(json!({"Sid": "Allow partner use", "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{partner}:root")},
                "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}));
        } else if (930..980).contains(&x) {
            statements.push(json!({"Sid": "Allow via S3", "Effect": "Allow", "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT,
                                               "kms:ViaService": format!("s3.{region}.amazonaws.com")}}}));
        } else if x >= 980 {
            statements.push(
                json!({"Sid": "Allow org", "Effect": "Allow", "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}),
            );
        }
        let key_policy = written(rng, policy(statements));
        let mut grants = Vec::new();
        let y = rng.permille();
        if y < 200 {
            grants.push(json!({"granteePrincipal": role_arn(rng, ACCOUNT), "operations": ["Decrypt", "GenerateDataKey"], "issuingAccount": ACCOUNT}));
        } else if y < 220 {
            let partner = rng_partner(rng);
            grants.push(json!({"granteePrincipal": role_arn(rng, partner), "operations": ["Decrypt"], "issuingAccount": ACCOUNT}));
        }
        self.with_policy += 1;
        json!({"arn": arn, "resourceType": "AWS::KMS::Key",
               "configuration": {"keyPolicies": {"default": key_policy}, "grants": grants}})
    }

    fn secret(&mut self, i: usize) -> Value {
        let region = self.region();
        let name = self.name(i);
        let rng = &mut self.rng;
        let arn = format!(
            "arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-{}",
            rng.hex(6)
        );
        let mut config = json!({});
        let x = rng.permille();
        if x >= 850 {
            let who = if x < 950 {
                Grantee::SameAccount
            } else {
                Grantee::CrossAccount
            };
            let st = grant(
                rng,
                &who,
                json!("secretsmanager:GetSecretValue"),
                &json!("*"),
                ("", String::new()),
            );
            config["secretPolicy"] = written(rng, policy(vec![st]));
            self.with_policy += 1;
            if rng.below(2) == 0 {
                config["kmsKeyId"] = json!(format!(
                    "arn:aws:kms:{region}:{ACCOUNT}:key/{}",
                    rng.hex(32)
                ));
            }
        }
        json!({"arn": arn, "resourceType": "AWS::SecretsManager::Secret", "configuration": config})
    }

    fn ec2_snapshot(&mut self) -> Value {
        let region = self.region();
        let rng = &mut self.rng;
        let arn = format!(
            "arn:aws:ec2:{region}:{ACCOUNT}:snapshot/snap-0{}",
            rng.hex(16)
        );
        let x = rng.permille();
        let (users, groups) = if x < 940 {
            (json!([]), json!([]))
        } else if x < 995 {
            (json!([rng_partner(rng)]), json!([]))
        } else {
            (json!([]), json!(["all"]))
        };
        json!({"arn": arn, "resourceType": "AWS::EC2::Snapshot", "configuration": {"userIds": users, "groups": groups}})
    }

    fn rds_snapshot(&mut self, i: usize, cluster: bool) -> Value {
        let region = self.region();
        let name = self.name(i);
        let rng = &mut self.rng;
        let (kind, prefix) = if cluster {
            ("AWS::RDS::DBClusterSnapshot", "cluster-snapshot")
        } else {
            ("AWS::RDS::DBSnapshot", "snapshot")
        };
        let arn = format!("arn:aws:rds:{region}:{ACCOUNT}:{prefix}:{name}");
        let x = rng.permille();
        let restore = if x < 930 {
            json!([])
        } else if x < 995 {
            json!([rng_partner(rng)])
        } else {
            json!(["all"])
        };
        json!({"arn": arn, "resourceType": kind, "configuration": {"attributes": {"restore": restore}}})
    }

    /// The simpler policy-based types: `(type, field, service, arn)`.
    fn simple(&mut self, kind: &'static str, i: usize) -> Value {
        let region = self.region();
        let name = self.name(i);
        let rng = &mut self.rng;
        let (field, arn, actions, service, resource_star) = match kind {
            "AWS::ECR::Repository" => (
                "repositoryPolicy",
                format!("arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"),
                json!(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]),
                "lambda.amazonaws.com",
                false,
            ),
            "AWS::DynamoDB::Table" => (
                "tablePolicy",
                format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"),
                json!(["dynamodb:GetItem", "dynamodb:Query"]),
                "",
                false,
            ),
            "AWS::DynamoDB::Stream" => (
                "streamPolicy",
                format!(
                    "arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}/stream/2026-01-15T00:00:00.000"
                ),
                json!(["dynamodb:GetRecords", "dynamodb:GetShardIterator"]),
                "",
                false,
            ),
            "AWS::Lambda::LayerVersion" => (
                "layerPolicy",
                format!(
                    "arn:aws:lambda:{region}:{ACCOUNT}:layer:{name}:{}",
                    1 + rng.below(9)
                ),
                json!("lambda:GetLayerVersion"),
                "",
                false,
            ),
            "AWS::EFS::FileSystem" => (
                "fileSystemPolicy",
                format!(
                    "arn:aws:elasticfilesystem:{region}:{ACCOUNT}:file-system/fs-0{}",
                    rng.hex(16)
                ),
                json!([
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientWrite"
                ]),
                "",
                false,
            ),
            "AWS::Events::EventBus" => (
                "policy",
                format!("arn:aws:events:{region}:{ACCOUNT}:event-bus/{name}"),
                json!("events:PutEvents"),
                "",
                false,
            ),
            "AWS::ApiGateway::RestApi" => (
                "policy",
                format!("arn:aws:apigateway:{region}::/restapis/{}", rng.hex(10)),
                json!("execute-api:Invoke"),
                "",
                true,
            ),
            "AWS::Kinesis::Stream" => (
                "streamPolicy",
                format!("arn:aws:kinesis:{region}:{ACCOUNT}:stream/{name}"),
                json!(["kinesis:GetRecords", "kinesis:DescribeStream"]),
                "",
                false,
            ),
            "AWS::Backup::BackupVault" => (
                "accessPolicy",
                format!("arn:aws:backup:{region}:{ACCOUNT}:backup-vault:{name}"),
                json!("backup:CopyIntoBackupVault"),
                "",
                false,
            ),
            "AWS::OpenSearchService::Domain" => (
                "accessPolicies",
                format!("arn:aws:es:{region}:{ACCOUNT}:domain/d{}", rng.hex(10)),
                json!("es:ESHttp*"),
                "",
                false,
            ),
            _ => (
                "vaultPolicy",
                format!("arn:aws:glacier:{region}:{ACCOUNT}:vaults/{name}"),
                json!("glacier:InitiateJob"),
                "",
                false,
            ),
        };
        let mut out = json!({"arn": arn, "resourceType": kind, "configuration": {}});
        if kind == "AWS::ApiGateway::RestApi" {
            out["account"] = json!(ACCOUNT);
        }
        if rng.permille() >= 450 {
            let who = grantee(
                rng,
                if service.is_empty() { 0 } else { 100 },
                150,
                100,
                20,
                10,
            );
            let resources = if resource_star {
                json!("execute-api:/*")
            } else {
                json!(arn)
            };
            let st = grant(
                rng,
                &who,
                actions,
                &resources,
                (service, format!("arn:aws:lambda:*:{ACCOUNT}:function:*")),
            );
            out["configuration"][field] = written(rng, policy(vec![st]));
            self.with_policy += 1;
        }
        out
    }
}

fn rng_partner(rng: &mut Rng) -> &'static str {
    PARTNERS[rng.below(PARTNERS.len())]
}

/// The type mix, in per mille of resources.
const MIX: [(&str, usize); 21] = [
    ("AWS::S3::Bucket", 310),
    ("AWS::IAM::Role", 180),
    ("AWS::Lambda::Function", 120),
    ("AWS::SQS::Queue", 80),
    ("AWS::SNS::Topic", 55),
    ("AWS::KMS::Key", 55),
    ("AWS::SecretsManager::Secret", 50),
    ("AWS::EC2::Snapshot", 40),
    ("AWS::RDS::DBSnapshot", 20),
    ("AWS::RDS::DBClusterSnapshot", 10),
    ("AWS::ECR::Repository", 20),
    ("AWS::DynamoDB::Table", 20),
    ("AWS::Lambda::LayerVersion", 10),
    ("AWS::EFS::FileSystem", 7),
    ("AWS::Events::EventBus", 5),
    ("AWS::ApiGateway::RestApi", 5),
    ("AWS::Kinesis::Stream", 5),
    ("AWS::Backup::BackupVault", 4),
    ("AWS::OpenSearchService::Domain", 2),
    ("AWS::DynamoDB::Stream", 1),
    ("AWS::Glacier::Vault", 1),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let path = args.get(1).filter(|p| p.as_str() != "-").cloned();
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    assert_eq!(MIX.iter().map(|(_, w)| w).sum::<usize>(), 1000);

    let out: Box<dyn Write> = match &path {
        Some(p) => Box::new(std::fs::File::create(p).unwrap()),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(out);
    let mut g = Gen {
        rng: Rng(seed),
        counts: BTreeMap::new(),
        with_policy: 0,
    };
    writeln!(
        out,
        "{}",
        json!({"resourceType": "AWS::S3::AccountPublicAccessBlock", "account": ACCOUNT,
               "configuration": {"ignorePublicAcls": false, "restrictPublicBuckets": false}})
    )
    .unwrap();
    // Deterministic counts per type (largest remainder), then interleaved in a seeded order.
    let mut kinds: Vec<&'static str> = Vec::with_capacity(count);
    for (kind, weight) in MIX {
        kinds.extend(std::iter::repeat_n(kind, count * weight / 1000));
    }
    let mut i = 0;
    while kinds.len() < count {
        kinds.push(MIX[i % MIX.len()].0);
        i += 1;
    }
    for j in (1..kinds.len()).rev() {
        let k = g.rng.below(j + 1);
        kinds.swap(j, k);
    }
    for (i, kind) in kinds.into_iter().enumerate() {
        let resource = match kind {
            "AWS::S3::Bucket" => g.s3_bucket(i),
            "AWS::IAM::Role" => g.iam_role(i),
            "AWS::Lambda::Function" => g.lambda(i),
            "AWS::SQS::Queue" => g.sqs(i),
            "AWS::SNS::Topic" => g.sns(i),
            "AWS::KMS::Key" => g.kms(),
            "AWS::SecretsManager::Secret" => g.secret(i),
            "AWS::EC2::Snapshot" => g.ec2_snapshot(),
            "AWS::RDS::DBSnapshot" => g.rds_snapshot(i, false),
            "AWS::RDS::DBClusterSnapshot" => g.rds_snapshot(i, true),
            other => g.simple(other, i),
        };
        *g.counts.entry(kind).or_default() += 1;
        writeln!(out, "{resource}").unwrap();
    }
    out.flush().unwrap();
    eprintln!(
        "{count} resources ({} with a policy), account {ACCOUNT}:",
        g.with_policy
    );
    for (kind, n) in &g.counts {
        eprintln!("  {kind}: {n}");
    }
}
