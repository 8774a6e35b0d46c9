//! Minxing JSON views and request structs of rooms.
