//! External-access findings over keyhole's resource model.
