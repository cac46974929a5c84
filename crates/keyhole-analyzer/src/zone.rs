//! The zone of trust: whose access is not external.

use std::collections::BTreeSet;

/// An `ACCOUNT` zone (one account) or an `ORGANIZATION` zone (an organization and its member
/// accounts), as Access Analyzer's analyzer types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    /// The trusted accounts: the analyzer's account, or every member of the organization.
    pub accounts: BTreeSet<String>,
    /// The organization id of an `ORGANIZATION` zone. Callers outside `accounts` are outside
    /// the organization, so their `aws:PrincipalOrgID` is not this id.
    pub org_id: Option<String>,
    /// S3 canonical user ids of the trusted accounts (an ACL or policy grant to one of them is
    /// not external).
    pub canonical_ids: BTreeSet<String>,
}

impl Zone {
    /// The zone of one account.
    #[must_use]
    pub fn account(id: &str) -> Zone {
        Zone {
            accounts: BTreeSet::from([id.to_owned()]),
            ..Zone::default()
        }
    }

    /// The zone of an organization with these member accounts.
    #[must_use]
    pub fn organization(org_id: &str, members: impl IntoIterator<Item = String>) -> Zone {
        Zone {
            accounts: members.into_iter().collect(),
            org_id: Some(org_id.to_owned()),
            ..Zone::default()
        }
    }

    /// Whether an account id is trusted.
    #[must_use]
    pub fn trusts(&self, account: &str) -> bool {
        self.accounts.contains(account)
    }
}

/// Trust beyond Access Analyzer's zone, which users of heuristic tools ask for: accounts, VPCs,
/// VPC endpoints and address blocks they consider safe. Applied as a filter on findings — a
/// finding is dropped when its principal is a trusted account, or when its condition pins
/// `aws:SourceVpc`, `aws:SourceVpce` or `aws:SourceIp` to a trusted value — never by changing
/// the analysis, so every remaining finding is still exact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraTrust {
    /// Trusted account ids (a finding for one of them, or for an ARN in one, is dropped).
    pub accounts: BTreeSet<String>,
    /// Trusted VPC ids.
    pub vpcs: BTreeSet<String>,
    /// Trusted VPC endpoint ids.
    pub vpc_endpoints: BTreeSet<String>,
    /// Trusted CIDR blocks (a finding whose `aws:SourceIp` block lies inside one is dropped).
    pub cidrs: Vec<String>,
}

impl ExtraTrust {
    /// Whether nothing extra is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.vpcs.is_empty()
            && self.vpc_endpoints.is_empty()
            && self.cidrs.is_empty()
    }

    /// Whether a finding is about trusted access (error findings never are).
    #[must_use]
    pub fn trusts(&self, finding: &crate::Finding) -> bool {
        if finding.error.is_some() {
            return false;
        }
        let principal_trusted = finding.principal.iter().flatten().any(|(kind, value)| {
            kind == "AWS"
                && (self.accounts.contains(value)
                    || keyhole_policy::arn::Arn::account_of(value)
                        .is_some_and(|a| self.accounts.contains(&a)))
        });
        if principal_trusted {
            return true;
        }
        finding.condition.iter().any(|(key, value)| {
            if key.eq_ignore_ascii_case("aws:SourceVpc") {
                self.vpcs.contains(value)
            } else if key.eq_ignore_ascii_case("aws:SourceVpce") {
                self.vpc_endpoints.contains(value)
            } else if key.eq_ignore_ascii_case("aws:SourceIp") {
                let Some(block) = keyhole_policy::value::IpRange::parse(value) else {
                    return false;
                };
                self.cidrs
                    .iter()
                    .filter_map(|c| keyhole_policy::value::IpRange::parse(c))
                    .any(|trusted| {
                        trusted.v6 == block.v6
                            && trusted.first <= block.first
                            && block.last <= trusted.last
                    })
            } else {
                false
            }
        })
    }
}
