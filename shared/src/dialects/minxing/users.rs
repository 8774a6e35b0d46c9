//! Minxing JSON view of a user (the one place a user is rendered in this dialect).
