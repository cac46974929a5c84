//! Policy validation in the shape of Access Analyzer's ValidatePolicy (being built).
