//! Presence: connections, online state, typing and read signals.
