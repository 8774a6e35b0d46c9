//! Relations between two users: friend, follow, block, requests.
