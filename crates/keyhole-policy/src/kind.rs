//! The kinds of policy and the elements each kind allows (IAM User Guide, "IAM JSON policy
//! element reference"; Organizations User Guide, "SCP syntax" and "RCP syntax").
//!
//! The grammar is shared; these rules say which elements a kind of policy requires or forbids.
//! Breaking one is reported (AWS would reject the policy) but does not stop evaluation: a
//! statement a kind does not allow is evaluated the way AWS's evaluators treat it (for example,
//! a resource-policy statement without `Principal` applies to no one).

use crate::ast::{Effect, Policy, Principal};
use crate::span::Span;
use serde::Serialize;

/// Where a policy is attached, which decides the elements it may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyKind {
    /// Attached to a user, group or role.
    Identity,
    /// Attached to a resource (bucket policy, queue policy, key policy, …).
    Resource,
    /// A role's trust policy.
    RoleTrust,
    /// A service control policy.
    ServiceControl,
    /// A resource control policy.
    ResourceControl,
    /// A permissions boundary.
    PermissionBoundary,
    /// A session policy.
    Session,
    /// A VPC endpoint policy.
    VpcEndpoint,
}

/// A rule of a policy kind that a policy breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindIssue {
    /// What is wrong, one sentence.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// Checks the rules of `kind` on `policy`.
#[must_use]
pub fn check_kind(policy: &Policy, kind: PolicyKind) -> Vec<KindIssue> {
    use PolicyKind::*;
    let mut issues = Vec::new();
    let principal_based = matches!(kind, Resource | RoleTrust | ResourceControl | VpcEndpoint);
    for st in policy.statements.iter() {
        let s = &st.value;
        let at = Span::new(st.span.start, st.span.start + 1);
        match (&s.principal, principal_based) {
            (Some(p), false) => issues.push(KindIssue {
                message: format!("`{}` is not allowed in {} policies", if p.value.negated { "NotPrincipal" } else { "Principal" }, kind_name(kind)),
                span: p.span,
            }),
            (None, true) if kind != VpcEndpoint => issues.push(KindIssue {
                message: format!("a statement of a {} policy must have `Principal` or `NotPrincipal`; without one it applies to no one", kind_name(kind)),
                span: at,
            }),
            (Some(p), true) => {
                if let Principal::AwsShorthand(v) = &p.value.principal {
                    issues.push(KindIssue {
                        message: format!("a principal given as a string must be `*`; write {{\"AWS\": \"{}\"}}", v.value),
                        span: v.span,
                    });
                }
                if kind == ResourceControl && (p.value.negated || !matches!(p.value.principal, Principal::Wildcard)) {
                    issues.push(KindIssue { message: "resource control policies must use `\"Principal\": \"*\"`".to_owned(), span: p.span });
                }
            }
            _ => {}
        }
        if s.resource.is_none() && !matches!(kind, RoleTrust) {
            issues.push(KindIssue {
                message: format!(
                    "a statement of a {} policy must have `Resource` or `NotResource`",
                    kind_name(kind)
                ),
                span: at,
            });
        }
        if s.resource.is_some()
            && kind == RoleTrust
            && let Some(r) = &s.resource
        {
            issues.push(KindIssue {
                message: "role trust policies do not take `Resource`; the role is the resource"
                    .to_owned(),
                span: r.span,
            });
        }
        if kind == ResourceControl && s.effect.as_ref().is_some_and(|e| e.value == Effect::Allow) {
            issues.push(KindIssue {
                message: "resource control policies may only deny; AWS attaches `RCPFullAWSAccess` for the Allow".to_owned(),
                span: s.effect.as_ref().map_or(at, |e| e.span),
            });
        }
    }
    issues
}

fn kind_name(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity-based",
        PolicyKind::Resource => "resource-based",
        PolicyKind::RoleTrust => "role trust",
        PolicyKind::ServiceControl => "service control",
        PolicyKind::ResourceControl => "resource control",
        PolicyKind::PermissionBoundary => "permissions boundary",
        PolicyKind::Session => "session",
        PolicyKind::VpcEndpoint => "VPC endpoint",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse_policy;

    #[test]
    fn rules() {
        let p = parse_policy(
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#,
        )
        .unwrap();
        assert!(check_kind(&p, PolicyKind::Identity).is_empty());
        assert_eq!(check_kind(&p, PolicyKind::Resource).len(), 1);
        assert_eq!(check_kind(&p, PolicyKind::ResourceControl).len(), 2);
        let t = parse_policy(r#"{"Statement": {"Effect": "Allow", "Principal": "arn:aws:iam::111122223333:root", "Action": "sts:AssumeRole"}}"#).unwrap();
        assert_eq!(check_kind(&t, PolicyKind::RoleTrust).len(), 1);
        assert_eq!(check_kind(&t, PolicyKind::Identity).len(), 2);
    }
}
