//! Rooms: create, join, invite, mute, transfer, dismiss.
