//! Users and their profile, settings and privacy choices.
