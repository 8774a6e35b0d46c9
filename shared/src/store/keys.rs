//! Every DynamoDB key format of the single table, in one place (docs/data-model.md).
//! Store modules build keys only through these functions.

// ---- accounts: users, login names, tokens, codes, key pairs ----------------------------

// ---- relations: friends, follows, blacklists, requests ---------------------------------

// ---- rooms: META, members, invites, join requests, events ------------------------------

// ---- chat: conversations, messages, connections, live events ---------------------------

// ---- other: limits, apps, config, files, favorites, pushes, geo ------------------------
