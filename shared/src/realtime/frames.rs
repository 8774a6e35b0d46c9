//! Every realtime frame, built here and nowhere else (docs/realtime.md lists them).

// ---- messages: new message, recall, sync ------------------------------------------------



// ---- group events: room created, members, settings, dismissed ---------------------------



// ---- relations: friend requests, friend added/removed, blocks ---------------------------



// ---- presence and signals: online, typing, read, session closed --------------------------
