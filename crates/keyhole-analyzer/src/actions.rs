//! The concrete actions findings list, from the service catalog.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Every action of a service, as `prefix:Action`, in catalog order (empty for an unknown
/// service). Built once per service and shared: every resource of a type lists the same
/// actions.
#[must_use]
pub fn of_service(prefix: &str) -> Arc<[String]> {
    static BUILT: OnceLock<Mutex<HashMap<String, Arc<[String]>>>> = OnceLock::new();
    let built = BUILT.get_or_init(Mutex::default);
    if let Some(actions) = built
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(prefix)
    {
        return Arc::clone(actions);
    }
    let actions: Arc<[String]> = keyhole_policy::catalog::service_catalog()
        .service(prefix)
        .map(|service| {
            service
                .actions()
                .iter()
                .map(|a| format!("{}:{}", service.prefix(), a.name()))
                .collect()
        })
        .unwrap_or_default();
    built
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(prefix.to_owned(), Arc::clone(&actions));
    actions
}
