//! Custom policy checks: CheckNoNewAccess, CheckAccessNotGranted, CheckNoPublicAccess (being built).
