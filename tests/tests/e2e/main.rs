//! End-to-end tests: real HTTP and WebSocket traffic through the local
//! gateway, against DynamoDB Local and the S3 emulator. One binary so the
//! backends start once; every test gets its own table, bucket and gateway.

mod auth;
mod chat;
mod chat_dialects;
mod console;
mod contacts;
mod delivery;
mod feed;
mod feed_following;
mod fidelity_minxing;
mod fidelity_networks;
mod fidelity_sealtalk_friends;
mod fidelity_sealtalk_groups;
mod fidelity_sealtalk_routes;
mod fidelity_sealtalk_sync;
mod fidelity_sealtalk_users;
mod fidelity_shiku;
mod fidelity_xuanxuan;
mod files;
mod files_minxing;
mod files_shares;
mod groups_minxing;
mod groups_rooms;
mod hard_auth;
mod hard_numbers;
mod hard_pages;
mod hard_privacy;
mod hard_rooms;
mod hard_secrets;
mod hard_stream;
mod hard_uploads;
mod hard_xuanxuan;
mod integrations;
mod org;
mod org_minxing;
mod realtime;
mod routes;
mod security;
mod stress;
mod system;
mod users;
mod users_extras;
