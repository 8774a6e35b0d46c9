//! Rooms (group conversations): Room, Member, Role, settings.
