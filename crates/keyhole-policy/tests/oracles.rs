//! Data-driven tests: every case of `../shared/oracles/iam-simulate/` (core, integration,
//! operators) and `../shared/oracles/politest/`, run through the same path as
//! `keyhole simulate` (scenario JSON → parse → evaluate).
//!
//! Cases listed in `tests/oracle-divergences.json` are expected to disagree, each for a reason
//! checked against AWS documentation; a listed case that starts agreeing fails the run so the
//! list stays honest. The run also fails when fewer than 97 % of all cases agree.
//!
//! The oracle data lives outside the repository. Without it the tests are skipped with a
//! message, unless `CI=true`, where its absence is an error.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use anyhow::{Context as _, Result, anyhow, bail};
use keyhole_policy::condition::{ConditionOperator, KeyState, Truth, evaluate_entry};
use keyhole_policy::request::ContextValue;
use keyhole_policy::scenario::parse_scenario;
use keyhole_policy::variables::VariableValue;
use keyhole_policy::{Decision, evaluate};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn shared_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("KEYHOLE_SHARED") {
        return Some(PathBuf::from(dir));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    dir.join("oracles").is_dir().then_some(dir)
}

/// One oracle case, ready to run.
struct Case {
    id: String,
    kind: CaseKind,
}

enum CaseKind {
    /// A scenario document and the decision expected.
    Scenario { scenario: Value, expected: Decision },
    /// A policy scenario whose request has several resources (politest): the action-level decision.
    MultiResource {
        scenarios: Vec<Value>,
        expected: Decision,
    },
    /// One condition operator on one value.
    Operator { case: Value },
}

fn decision(s: &str) -> Result<Decision> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "allowed" => Decision::Allowed,
        "implicitlydenied" | "implicitdeny" => Decision::ImplicitlyDenied,
        "explicitlydenied" | "explicitdeny" => Decision::ExplicitlyDenied,
        other => bail!("unknown decision `{other}`"),
    })
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn levels(v: Option<&Value>, policies_of: impl Fn(&Value) -> Value) -> Value {
    Value::Array(
        v.and_then(Value::as_array)
            .map(|ls| {
                ls.iter()
                    .map(|l| {
                        Value::Array(
                            l["policies"]
                                .as_array()
                                .map(|ps| ps.iter().map(&policies_of).collect())
                                .unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// iam-simulate's `discoveryContextKeyConstraints` as keyhole `knownKeys`; its `/regex/` key
/// names in this data use only `.*`, which is a `*` wildcard.
fn known_keys(constraints: Option<&Value>) -> Value {
    Value::Array(
        constraints
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|k| {
                let name = k["keyName"].as_str().unwrap_or_default();
                let pattern = match name.strip_prefix('/').and_then(|n| n.strip_suffix('/')) {
                    Some(re) => re.replace(".*", "*"),
                    None => name.to_owned(),
                };
                json!({"key": pattern, "presence": k["presenceIsKnown"], "value": k["valueIsKnown"]})
            })
            .collect(),
    )
}

fn iam_simulate_core(root: &Path, cases: &mut Vec<Case>) -> Result<()> {
    let dir = root.join("oracles/iam-simulate/core");
    for file in json_files(&dir)? {
        let rel = file
            .strip_prefix(root.join("oracles"))?
            .display()
            .to_string();
        let data = read_json(&file)?;
        for (i, c) in data
            .as_array()
            .ok_or_else(|| anyhow!("{rel}: not an array"))?
            .iter()
            .enumerate()
        {
            let req = &c["request"];
            let mut scenario = Map::new();
            scenario.insert("identityPolicies".into(), c["identityPolicies"].clone());
            for (from, to) in [
                ("resourcePolicy", "resourcePolicy"),
                ("sessionPolicy", "sessionPolicy"),
            ] {
                if let Some(p) = c.get(from) {
                    scenario.insert(to.into(), p.clone());
                }
            }
            if let Some(pb) = c.get("permissionBoundaries") {
                scenario.insert("permissionBoundary".into(), pb.clone());
            }
            if let Some(ep) = c.get("endpointPolicies") {
                scenario.insert("vpcEndpointPolicy".into(), ep.clone());
            }
            scenario.insert(
                "scps".into(),
                levels(c.get("serviceControlPolicies"), Value::clone),
            );
            scenario.insert(
                "rcps".into(),
                levels(c.get("resourceControlPolicies"), Value::clone),
            );
            let principal = match &req["principal"] {
                Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Anonymous") => {
                    json!("anonymous")
                }
                p => p.clone(),
            };
            scenario.insert(
                "request".into(),
                json!({
                    "principal": principal,
                    "action": req["action"],
                    "resource": req["resource"]["resource"],
                    "resourceAccount": req["resource"]["accountId"],
                    "context": req.get("context").cloned().unwrap_or(json!({})),
                }),
            );
            let discovery =
                c.pointer("/simulation/mode").and_then(Value::as_str) == Some("Discovery");
            scenario.insert(
                "options".into(),
                json!({
                    "wildcardOnlyAction": req.get("wildcardOnlyAction").and_then(Value::as_bool).unwrap_or(false),
                    "whatIf": discovery,
                    "knownKeys": known_keys(c.pointer("/simulation/discoveryContextKeyConstraints")),
                }),
            );
            let expected = decision(c["expected"]["response"].as_str().unwrap_or_default())?;
            cases.push(Case {
                id: format!("{rel}#{i}"),
                kind: CaseKind::Scenario {
                    scenario: Value::Object(scenario),
                    expected,
                },
            });
        }
    }
    Ok(())
}

fn iam_simulate_integration(root: &Path, cases: &mut Vec<Case>) -> Result<()> {
    let dir = root.join("oracles/iam-simulate/integration");
    let named = |p: &Value| p["policy"].clone();
    for file in json_files(&dir)? {
        let rel = file
            .strip_prefix(root.join("oracles"))?
            .display()
            .to_string();
        let data = read_json(&file)?;
        for (i, c) in data
            .as_array()
            .ok_or_else(|| anyhow!("{rel}: not an array"))?
            .iter()
            .enumerate()
        {
            let sim = &c["simulation"];
            let req = &sim["request"];
            let list = |key: &str| {
                Value::Array(
                    sim.get(key)
                        .and_then(Value::as_array)
                        .map(|ps| ps.iter().map(named).collect())
                        .unwrap_or_default(),
                )
            };
            let principal = match &req["principal"] {
                Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Anonymous") => {
                    json!("anonymous")
                }
                p => p.clone(),
            };
            let mut scenario = json!({
                "identityPolicies": list("identityPolicies"),
                "permissionBoundary": list("permissionBoundaryPolicies"),
                "vpcEndpointPolicy": list("vpcEndpointPolicies"),
                "scps": levels(sim.get("serviceControlPolicies"), named),
                "rcps": levels(sim.get("resourceControlPolicies"), named),
                "request": {
                    "principal": principal,
                    "action": req["action"],
                    "resource": req["resource"]["resource"],
                    "resourceAccount": req["resource"]["accountId"],
                    "context": req.get("contextVariables").cloned().unwrap_or(json!({})),
                },
                "options": {
                    "whatIf": c.pointer("/simulationOptions/simulationMode").and_then(Value::as_str) == Some("Discovery"),
                    "knownKeys": known_keys(c.pointer("/simulationOptions/discoveryContextKeyConstraints")),
                },
            });
            if let (Some(obj), Some(rp)) = (scenario.as_object_mut(), sim.get("resourcePolicy")) {
                obj.insert("resourcePolicy".into(), rp.clone());
            }
            if let (Some(obj), Some(sp)) = (scenario.as_object_mut(), sim.get("sessionPolicy")) {
                obj.insert("sessionPolicy".into(), sp.clone());
            }
            let expected = decision(c["expected"]["overallResult"].as_str().unwrap_or_default())?;
            cases.push(Case {
                id: format!("{rel}#{i}"),
                kind: CaseKind::Scenario { scenario, expected },
            });
        }
    }
    Ok(())
}

fn iam_simulate_operators(root: &Path, cases: &mut Vec<Case>) -> Result<()> {
    let dir = root.join("oracles/iam-simulate/operators");
    for file in json_files(&dir)? {
        let rel = file
            .strip_prefix(root.join("oracles"))?
            .display()
            .to_string();
        let data = read_json(&file)?;
        for (i, c) in data
            .as_array()
            .ok_or_else(|| anyhow!("{rel}: not an array"))?
            .iter()
            .enumerate()
        {
            cases.push(Case {
                id: format!("{rel}#{i}"),
                kind: CaseKind::Operator { case: c.clone() },
            });
        }
    }
    Ok(())
}

fn politest(root: &Path, cases: &mut Vec<Case>) -> Result<()> {
    let data = read_json(&root.join("oracles/politest/cases.resolved.json"))?;
    for c in data
        .as_array()
        .ok_or_else(|| anyhow!("politest: not an array"))?
    {
        let id = format!("politest/{}", c["id"].as_str().unwrap_or_default());
        // AWS-verified decision; the three unverified `--strict-policy` cases use their `expect`.
        let expected = decision(
            c["awsDecision"]
                .as_str()
                .or_else(|| c["expect"].as_str())
                .unwrap_or_default(),
        )?;
        let caller = c["callerArn"]
            .as_str()
            .unwrap_or("arn:aws:iam::123456789012:user/politest-caller");
        let caller_account = caller.split(':').nth(4).unwrap_or_default().to_owned();
        let owner = c["resourceOwner"]
            .as_str()
            .and_then(|o| o.split(':').nth(4))
            .map_or(caller_account, str::to_owned);
        let mut context = Map::new();
        for e in c["contextEntries"].as_array().into_iter().flatten() {
            let name = e["ContextKeyName"].as_str().unwrap_or_default().to_owned();
            let values = e["ContextKeyValues"].clone();
            let is_list = e["ContextKeyType"]
                .as_str()
                .is_some_and(|t| t.ends_with("List"));
            let v = if is_list {
                values
            } else {
                values.get(0).cloned().unwrap_or(Value::Null)
            };
            context.insert(name, v);
        }
        let resources: Vec<String> = match c["resources"].as_array() {
            Some(rs) if !rs.is_empty() => rs
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => vec!["*".to_owned()],
        };
        let scenarios = resources
            .iter()
            .map(|r| {
                let mut s = json!({
                    "identityPolicies": [c["identityPolicy"]],
                    "request": {
                        "principal": caller,
                        "action": c["action"],
                        "resource": r,
                        "resourceAccount": owner,
                        "context": Value::Object(context.clone()),
                    },
                });
                if let Some(obj) = s.as_object_mut() {
                    if !c["permissionsBoundary"].is_null() {
                        obj.insert(
                            "permissionBoundary".into(),
                            c["permissionsBoundary"].clone(),
                        );
                    }
                    if !c["resourcePolicy"].is_null() {
                        obj.insert("resourcePolicy".into(), c["resourcePolicy"].clone());
                    }
                }
                s
            })
            .collect();
        cases.push(Case {
            id,
            kind: CaseKind::MultiResource {
                scenarios,
                expected,
            },
        });
    }
    Ok(())
}

fn run_scenario(scenario: &Value) -> Result<Decision> {
    let text = serde_json::to_string(scenario)?;
    let s = parse_scenario(&text).map_err(|e| anyhow!("{} at {}", e, e.span.location(&text)))?;
    Ok(evaluate(&s.request, &s.policies, &s.options).decision)
}

fn run_case(case: &Case) -> Result<(), String> {
    let check = |got: Decision, expected: Decision| {
        if got == expected {
            Ok(())
        } else {
            Err(format!("expected {expected:?}, got {got:?}"))
        }
    };
    match &case.kind {
        CaseKind::Scenario { scenario, expected } => check(
            run_scenario(scenario).map_err(|e| e.to_string())?,
            *expected,
        ),
        CaseKind::MultiResource {
            scenarios,
            expected,
        } => {
            let ds = scenarios
                .iter()
                .map(run_scenario)
                .collect::<Result<Vec<_>>>()
                .map_err(|e| e.to_string())?;
            let got = if ds.contains(&Decision::ExplicitlyDenied) {
                Decision::ExplicitlyDenied
            } else if ds.iter().all(|d| *d == Decision::Allowed) {
                Decision::Allowed
            } else {
                Decision::ImplicitlyDenied
            };
            check(got, *expected)
        }
        CaseKind::Operator { case } => {
            let name = case["operator"].as_str().unwrap_or_default();
            let op =
                ConditionOperator::parse(name).ok_or_else(|| format!("unknown operator {name}"))?;
            let values: Vec<&str> = case["policyValues"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let request =
                ContextValue::Single(case["requestValue"].as_str().unwrap_or_default().to_owned());
            let vars: BTreeMap<String, Value> = case
                .get("requestContext")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_lowercase(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let lookup = |k: &str| match vars.get(&k.to_lowercase()) {
                Some(Value::String(s)) => VariableValue::Single(s.as_str()),
                Some(_) => VariableValue::MultiValued,
                None => VariableValue::Missing,
            };
            let got = evaluate_entry(op, KeyState::Present(&request), &values, true, &lookup);
            let expected = if case["expected"].as_bool().unwrap_or(false) {
                Truth::True
            } else {
                Truth::False
            };
            if got == expected {
                Ok(())
            } else {
                Err(format!("expected {expected:?}, got {got:?}"))
            }
        }
    }
}

fn main() -> Result<()> {
    let args = Arguments::from_args();
    let Some(root) = shared_dir() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            bail!("the oracle data (../shared/oracles) is missing, and CI=true requires it");
        }
        eprintln!(
            "SKIPPED: oracle tests need ../shared/oracles next to the repository (or KEYHOLE_SHARED); not found"
        );
        return Ok(());
    };
    let mut cases = Vec::new();
    iam_simulate_core(&root, &mut cases)?;
    iam_simulate_integration(&root, &mut cases)?;
    iam_simulate_operators(&root, &mut cases)?;
    politest(&root, &mut cases)?;

    let divergences: BTreeMap<String, String> = {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle-divergences.json");
        let list = read_json(&path)?;
        list.as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                (
                    d["id"].as_str().unwrap_or_default().to_owned(),
                    d["reason"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    for id in divergences.keys() {
        if !cases.iter().any(|c| &c.id == id) {
            bail!("oracle-divergences.json lists `{id}`, which is not an oracle case");
        }
    }

    let total = cases.len();
    let agreeing = Arc::new(AtomicUsize::new(0));
    let mut trials: Vec<Trial> = Vec::with_capacity(total + 1);
    for case in cases {
        let reason = divergences.get(&case.id).cloned();
        let agreeing = Arc::clone(&agreeing);
        trials.push(Trial::test(case.id.clone(), move || {
            let result = run_case(&case);
            if result.is_ok() {
                agreeing.fetch_add(1, Ordering::Relaxed);
            }
            match (result, reason) {
                (Ok(()), None) => Ok(()),
                (Err(e), None) => Err(Failed::from(e)),
                (Err(_), Some(_)) => Ok(()),
                (Ok(()), Some(reason)) => Err(Failed::from(format!(
                    "listed as a divergence ({reason}) but now agrees with the oracle: remove it from tests/oracle-divergences.json"
                ))),
            }
        }));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    let agreed = agreeing.load(Ordering::Relaxed);
    let filtered = args.filter.is_some() || !args.skip.is_empty();
    if !filtered && !args.list {
        #[expect(clippy::cast_precision_loss, reason = "case counts are small")]
        let rate = agreed as f64 * 100.0 / total.max(1) as f64;
        eprintln!(
            "oracle agreement: {agreed}/{total} cases ({rate:.1} %), {} listed divergences",
            divergences.len()
        );
        if rate < 97.0 {
            eprintln!("FAILED: agreement below 97 %");
            std::process::exit(101);
        }
    }
    conclusion.exit()
}
