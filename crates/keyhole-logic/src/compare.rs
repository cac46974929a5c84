//! Relative permissiveness of two policies: is the new one more permissive than the old one?
//!
//! Two queries decide it (ENGINE.md §5): requests allowed by NEW and not by OLD, and requests
//! allowed by OLD and not by NEW. Each `Yes` carries a witness request, which is checked again
//! with the concrete evaluator before it is reported, so a reported difference is one the
//! evaluator confirms. AWS's CheckNoNewAccess asks the first of the two questions.
//!
//! Both questions are asked in one linked [`Space`]: the two policies are atomised once, and
//! for resource policies `aws:PrincipalArn`, `aws:PrincipalAccount` and `kms:CallerAccount` are
//! the caller's own, so every witness is a request AWS could receive (never, say, a service
//! principal carrying an `aws:PrincipalAccount`).

use keyhole_policy::request::Request;
use keyhole_policy::{Decision, EvalOptions, Layer, Policy, evaluate_policy};

use crate::query::{Answer, PolicyKind, QueryOptions};
use crate::space::Space;

/// How two policies relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// They allow exactly the same requests.
    Equivalent,
    /// NEW allows a strict subset of what OLD allows.
    Less,
    /// NEW allows a strict superset of what OLD allows.
    More,
    /// Each allows something the other does not.
    Incomparable,
    /// The engine could not decide one of the two directions exactly.
    Unknown,
}

impl Relation {
    /// The relation's name in output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Equivalent => "equivalent",
            Relation::Less => "less",
            Relation::More => "more",
            Relation::Incomparable => "incomparable",
            Relation::Unknown => "unknown",
        }
    }
}

/// The comparison of OLD and NEW.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// How NEW relates to OLD.
    pub relation: Relation,
    /// A request NEW allows and OLD does not, if there is one.
    pub new_allows_but_old_denies: Option<Request>,
    /// A request OLD allows and NEW does not, if there is one.
    pub old_allows_but_new_denies: Option<Request>,
    /// Why the relation is `Unknown`, one reason per undecided direction.
    pub unknown_reasons: Vec<String>,
}

/// Compares two policies used as `options.kind`.
#[must_use]
pub fn compare(old: &Policy, new: &Policy, options: &QueryOptions) -> Comparison {
    let (more, less) = match Space::linked(options).and_then(|mut space| {
        // Each policy's diagram takes part in both questions: built once.
        let allowed_old = space.allowed(old)?.shared();
        let allowed_new = space.allowed(new)?.shared();
        let more = space.solve(&allowed_new.clone().and(allowed_old.clone().negate()));
        let less = space.solve(&allowed_old.and(allowed_new.negate()));
        Ok((more, less))
    }) {
        Ok((more, less)) => (
            direction(more, new, old, options),
            direction(less, old, new, options),
        ),
        Err(reason) => (
            Direction::Unknown(reason.clone()),
            Direction::Unknown(reason),
        ),
    };
    let mut unknown_reasons = Vec::new();
    let mut side = |d: Direction, what: &str| match d {
        Direction::Witness(r) => (true, Some(r)),
        Direction::None => (false, None),
        Direction::Unknown(reason) => {
            unknown_reasons.push(format!("{what}: {reason}"));
            (false, None)
        }
    };
    let (gains, new_allows_but_old_denies) = side(more, "requests NEW allows and OLD does not");
    let (loses, old_allows_but_new_denies) = side(less, "requests OLD allows and NEW does not");
    let relation = if !unknown_reasons.is_empty() {
        Relation::Unknown
    } else {
        match (gains, loses) {
            (false, false) => Relation::Equivalent,
            (true, false) => Relation::More,
            (false, true) => Relation::Less,
            (true, true) => Relation::Incomparable,
        }
    };
    Comparison {
        relation,
        new_allows_but_old_denies,
        old_allows_but_new_denies,
        unknown_reasons,
    }
}

enum Direction {
    Witness(Request),
    None,
    Unknown(String),
}

/// The answer for requests allowed by `a` and not by `b`, with the witness confirmed by the
/// evaluator.
fn direction(answer: Answer, a: &Policy, b: &Policy, options: &QueryOptions) -> Direction {
    match answer {
        Answer::No => Direction::None,
        Answer::Unknown(reason) => Direction::Unknown(reason),
        Answer::Yes(w) => {
            // One request for both evaluations and the answer.
            let request = w.to_request();
            if allowed(a, &request, options.kind) && !allowed(b, &request, options.kind) {
                Direction::Witness(request)
            } else {
                // INVARIANT: never reached when the engine is exact; saying so beats a wrong answer.
                Direction::Unknown(
                    "internal: the concrete evaluator does not confirm the witness request"
                        .to_owned(),
                )
            }
        }
    }
}

/// Whether the concrete evaluator says `policy`, on its own as a policy of `kind`, allows the
/// witness request.
fn allowed(policy: &Policy, request: &Request, kind: PolicyKind) -> bool {
    let layer = match kind {
        PolicyKind::Identity => Layer::Identity,
        PolicyKind::Resource => Layer::Resource,
    };
    let options = EvalOptions {
        wildcard_only_action: Some(false),
        ..EvalOptions::default()
    };
    evaluate_policy(policy, layer, request, &options) == Decision::Allowed
}
