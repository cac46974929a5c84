//! Reading the world into keyhole's resource model.
