//! `Space::choices` against one question per choice: the same choices, the same witnesses,
//! the same actions.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use keyhole_logic::{Answer, ChoiceSearch, Expr, QueryOptions, Space};
use keyhole_policy::condition::{BaseOperator, ConditionOperator, SetQualifier};
use proptest::prelude::*;

const KEYS: [&str; 4] = [
    "aws:SourceVpc",
    "aws:SourceIp",
    "aws:PrincipalTag/team",
    "s3:prefix",
];

/// A condition on one key, from a small menu that makes overlapping value sets.
#[derive(Clone, Debug)]
struct Test {
    key: usize,
    pick: u8,
}

fn condition(space: &mut Space, test: &Test) -> Expr {
    let key = KEYS[test.key % KEYS.len()];
    let plain = |base| ConditionOperator {
        qualifier: None,
        base,
        if_exists: false,
    };
    let (op, values): (ConditionOperator, &[&str]) = match (test.key % KEYS.len(), test.pick % 4) {
        (1, 0) => (plain(BaseOperator::IpAddress), &["10.0.0.0/8"]),
        (1, 1) => (plain(BaseOperator::IpAddress), &["10.1.0.0/16"]),
        (1, 2) => (plain(BaseOperator::NotIpAddress), &["10.1.2.0/24"]),
        (1, _) => (plain(BaseOperator::Null), &["true"]),
        (3, 0) => (
            ConditionOperator {
                qualifier: Some(SetQualifier::ForAnyValue),
                base: BaseOperator::StringLike,
                if_exists: false,
            },
            &["home/*"],
        ),
        (3, 1) => (
            ConditionOperator {
                qualifier: Some(SetQualifier::ForAllValues),
                base: BaseOperator::StringLike,
                if_exists: false,
            },
            &["home/a*", "tmp"],
        ),
        (_, 0) => (plain(BaseOperator::StringLike), &["a*"]),
        (_, 1) => (plain(BaseOperator::StringLike), &["*b"]),
        (_, 2) => (plain(BaseOperator::StringEquals), &["ab"]),
        (_, _) => (
            ConditionOperator {
                qualifier: None,
                base: BaseOperator::StringNotLike,
                if_exists: true,
            },
            &["a?"],
        ),
    };
    space.condition(op, key, values, false).unwrap()
}

/// An alternative: a conjunction of one or two tests, maybe negated.
fn alternative(space: &mut Space, (tests, negated): &(Vec<Test>, bool)) -> Expr {
    let parts: Vec<Expr> = tests.iter().map(|t| condition(space, t)).collect();
    let all = Expr::all(parts);
    if *negated { all.negate() } else { all }
}

fn test_strategy() -> impl Strategy<Value = Test> {
    (0usize..4, any::<u8>()).prop_map(|(key, pick)| Test { key, pick })
}

fn alternative_strategy() -> impl Strategy<Value = (Vec<Test>, bool)> {
    (prop::collection::vec(test_strategy(), 1..=2), any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn choices_are_the_choices_whose_conjunction_is_satisfiable(
        base in prop::collection::vec(alternative_strategy(), 0..=3),
        groups in prop::collection::vec(prop::collection::vec(alternative_strategy(), 1..=3), 1..=3),
        // Each group keeps its first alternative or `always`, so most choices meet.
        cover in any::<bool>(),
        action in 0usize..3,
    ) {
        let mut space = Space::new(&QueryOptions::default()).unwrap();
        let mut base: Vec<Expr> = base.iter().map(|a| alternative(&mut space, a)).collect();
        base.push(space.action_like(["s3:Get*", "s3:*Object", "s3:PutObject"][action]));
        let base = Expr::all(base).shared();
        let actions: std::sync::Arc<[String]> =
            ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketPolicy"]
                .map(String::from)
                .into();
        let mut alternatives: Vec<Vec<Expr>> = groups
            .iter()
            .map(|g| g.iter().map(|a| alternative(&mut space, a).shared()).collect())
            .collect();
        if cover {
            for g in &mut alternatives {
                g.push(Expr::always());
            }
        }
        let mut choices = match space.choices(&base, &alternatives, 10_000).unwrap() {
            ChoiceSearch::Found(choices) => choices,
            // A block of many multivalued keys read together (about one case in twelve).
            ChoiceSearch::Unsupported => return Ok(()),
            ChoiceSearch::TooMany => panic!("more than 10,000 choices"),
        };
        let found = choices.found().to_vec();
        // Every choice, in lexicographic order.
        let mut every: Vec<Vec<usize>> = vec![Vec::new()];
        for g in &alternatives {
            every = every
                .into_iter()
                .flat_map(|prefix| {
                    (0..g.len()).map(move |i| {
                        let mut c = prefix.clone();
                        c.push(i);
                        c
                    })
                })
                .collect();
        }
        let mut expected = Vec::new();
        for choice in &every {
            let conjunction = Expr::all(
                std::iter::once(base.clone())
                    .chain(choice.iter().zip(&alternatives).map(|(&i, g)| g[i].clone())),
            );
            let answer = space.solve(&conjunction);
            prop_assert!(!matches!(answer, Answer::Unknown(_)), "{answer:?}");
            let walked = space.choice_witness(&mut choices, choice);
            prop_assert_eq!(format!("{answer:?}"), format!("{walked:?}"), "choice {:?}", choice);
            let reached = space.actions_reached(&conjunction, &actions).unwrap();
            prop_assert_eq!(
                reached,
                space.choice_actions(&mut choices, &[choice.as_slice()], &actions).unwrap()
            );
            if matches!(answer, Answer::Yes(_)) {
                expected.push(choice.clone());
            }
        }
        prop_assert_eq!(expected, found);
    }
}
