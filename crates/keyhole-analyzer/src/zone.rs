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
