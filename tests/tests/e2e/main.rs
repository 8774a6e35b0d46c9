//! End-to-end tests: real HTTP and WebSocket traffic through the local
//! gateway, against DynamoDB Local and the S3 emulator. One binary so the
//! backends start once; every test gets its own table, bucket and gateway.

mod auth;
mod chat;
mod contacts;
mod files;
mod hard_rooms;
mod integrations;
mod mx_groups;
mod protocol;
mod rooms;
mod security;
mod stress;
mod system;
mod users;
